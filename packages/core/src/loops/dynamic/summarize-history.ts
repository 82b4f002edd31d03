import type { DefaultVerdict, Iteration } from '../../contracts/loop.js'

/** Options of {@link summarizeHistory}. @experimental */
export interface SummarizeHistoryOptions {
  /** Longest output excerpt per iteration, in characters. Default 600. */
  maxOutputChars?: number
}

function outputText(output: unknown): string {
  if (output === undefined) return ''
  if (typeof output === 'string') return output
  try {
    return JSON.stringify(output) ?? String(output)
  } catch {
    return String(output)
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/**
 * Renders a loop's history as plain text for a planner prompt: one block per
 * iteration with its round, harness, parent, verdict, error and a clipped
 * output excerpt. Outputs are clipped so a long history still fits a prompt.
 * @experimental
 * @example
 * const text = summarizeHistory(history, { maxOutputChars: 300 })
 */
export function summarizeHistory<Task, Output, Verdict extends DefaultVerdict>(
  history: readonly Iteration<Task, Output, Verdict>[],
  options: SummarizeHistoryOptions = {},
): string {
  const max = Math.max(0, options.maxOutputChars ?? 600)
  if (history.length === 0) return '(no iterations yet)'
  const blocks: string[] = []
  for (const it of history) {
    const head = [`#${it.index}`, `round ${it.roundIndex}`, `agent ${it.agentRunName}`]
    if (it.parentIndex !== undefined) head.push(`parent #${it.parentIndex}`)
    const lines = [head.join(' · ')]
    if (it.verdict) {
      const notes = it.verdict.notes ? ` — ${clip(it.verdict.notes, max)}` : ''
      lines.push(`  verdict: ${it.verdict.valid ? 'valid' : 'invalid'}, score ${it.verdict.score.toFixed(2)}${notes}`)
    } else if (!it.error) {
      lines.push('  verdict: none')
    }
    if (it.error) lines.push(`  error: ${clip(it.error, max)}`)
    const out = outputText(it.output)
    if (out) lines.push(`  output: ${clip(out, max)}`)
    blocks.push(lines.join('\n'))
  }
  return blocks.join('\n')
}
