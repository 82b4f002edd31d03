import type { Iteration } from '../../contracts/loop.js'

const MAX_REASONS = 3
const MAX_REASON_CHARS = 300

/**
 * Why a loop ended without a winner, in one line a user can act on: no
 * iteration ran, every iteration failed (with its distinct errors), or
 * candidates ran but none was valid (with the validator's notes). `undefined`
 * when there is a winner.
 */
export function describeLoopFailure(iterations: readonly Iteration<any, any, any>[], hasWinner: boolean): string | undefined {
  if (hasWinner) return undefined
  if (iterations.length === 0) return 'no iteration ran: the driver planned no task'
  const failed = iterations.filter((it) => it.error !== undefined)
  if (failed.length === iterations.length) {
    return `all ${iterations.length} iteration${iterations.length === 1 ? '' : 's'} failed: ${summarize(failed.map((it) => it.error as string))}`
  }
  const notes = iterations
    .filter((it) => it.error === undefined)
    .map((it) => (it.verdict ? (it.verdict.notes ?? `score ${it.verdict.score}`) : 'no verdict'))
  const errors = failed.length > 0 ? `; ${failed.length} failed: ${summarize(failed.map((it) => it.error as string))}` : ''
  return `no valid candidate among ${iterations.length} iteration${iterations.length === 1 ? '' : 's'}: ${summarize(notes)}${errors}`
}

/** Distinct messages, most frequent first, with counts, at most {@link MAX_REASONS} of them. */
function summarize(messages: string[]): string {
  const counts = new Map<string, number>()
  for (const m of messages) {
    const short = m.length > MAX_REASON_CHARS ? `${m.slice(0, MAX_REASON_CHARS)}…` : m
    counts.set(short, (counts.get(short) ?? 0) + 1)
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1])
  const shown = sorted.slice(0, MAX_REASONS).map(([m, n]) => (n > 1 ? `${m} (×${n})` : m))
  const more = sorted.length > MAX_REASONS ? `; and ${sorted.length - MAX_REASONS} other reason(s)` : ''
  return shown.join('; ') + more
}
