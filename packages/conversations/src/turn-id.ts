/**
 * Deterministic turn ids: the same logical turn gets the same id on every
 * attempt, so a caching gateway (or a journal) can deduplicate retries.
 */

/**
 * Reduces a speaker name to lowercase ASCII word characters and dashes
 * (NFKD-normalised, runs of anything else become one dash, dashes trimmed);
 * `anon` when nothing is left. Deterministic, not unique: names are unique
 * per conversation already.
 * @stable
 * @example
 * slugifySpeaker('Émile Zola!') // 'emile-zola'
 */
export function slugifySpeaker(speaker: string): string {
  const slug = speaker
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\w-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase()
  return slug === '' ? 'anon' : slug
}

/**
 * `${runId}.t${index}.${slugifySpeaker(speaker)}`: readable in logs, sortable
 * by index, stable across retries.
 * @stable
 * @example
 * turnId('run_1', 3, 'Alice') // 'run_1.t3.alice'
 */
export function turnId(runId: string, index: number, speaker: string): string {
  return `${runId}.t${index}.${slugifySpeaker(speaker)}`
}
