/** Text helpers for prompt candidates: markdown sections, sentence edits, a line diff. */

/**
 * The markdown sections of a prompt by heading title (any level `#`…`######`),
 * each with its body up to the next heading of the same or a higher level.
 * @experimental
 * @example
 * promptSections('## Safety\nNever share keys.\n## Style\nBe brief.').get('Safety') // '## Safety\nNever share keys.'
 */
export function promptSections(prompt: string): Map<string, string> {
  const lines = prompt.split('\n')
  const out = new Map<string, string>()
  for (let i = 0; i < lines.length; i++) {
    const m = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(lines[i]!)
    if (!m) continue
    const level = m[1]!.length
    let end = i + 1
    while (end < lines.length) {
      const h = /^(#{1,6})\s/.exec(lines[end]!)
      if (h && h[1]!.length <= level) break
      end++
    }
    out.set(m[2]!, lines.slice(i, end).join('\n').trimEnd())
  }
  return out
}

/** Splits prose into sentences (ends at . ! ? or a line break), trimmed and without empties. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

/**
 * How many sentences an edit touched: a changed sentence counts once, and an
 * added or removed one counts once (the larger of removed and added sentences).
 * @experimental
 * @example
 * sentenceEdits('Be brief. Be kind.', 'Be brief. Be very kind.') // 1
 */
export function sentenceEdits(before: string, after: string): number {
  const count = new Map<string, number>()
  for (const s of splitSentences(before)) count.set(s, (count.get(s) ?? 0) + 1)
  let added = 0
  for (const s of splitSentences(after)) {
    const c = count.get(s) ?? 0
    if (c > 0) count.set(s, c - 1)
    else added++
  }
  let removed = 0
  for (const c of count.values()) removed += c
  return Math.max(added, removed)
}

/**
 * A unified-style line diff (`- ` removed, `+ ` added, `  ` kept) from the
 * longest common subsequence of lines. Empty when the texts are equal.
 * @experimental
 * @example
 * lineDiff('a\nb', 'a\nc') // '  a\n- b\n+ c'
 */
export function lineDiff(before: string, after: string): string {
  if (before === after) return ''
  const a = before.split('\n')
  const b = after.split('\n')
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!)
  }
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i]}`)
      i++
      j++
    } else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${a[i++]}`)
    else out.push(`+ ${b[j++]}`)
  }
  return out.join('\n')
}
