/**
 * The state spine as text: `STATE.md` (the current state, for people) and
 * `loop-run-log.md` (append-only JSON lines after a marker). Pure string
 * functions; the cli package writes them atomically.
 */

/** The line after which `loop-run-log.md` holds one JSON entry per line. @experimental */
export const RUN_LOG_MARKER = '<!-- agent-runtime:run-log (one JSON object per line below; do not edit) -->'

/** Days a run-log entry is kept. @experimental */
export const RUN_LOG_RETENTION_DAYS = 30

/** One run-log entry; `ts` (ISO time) decides pruning. @experimental */
export interface RunLogEntry {
  ts: string
  [key: string]: unknown
}

const DAY_MS = 86_400_000

/**
 * The run log with `entries` appended and entries older than
 * {@link RUN_LOG_RETENTION_DAYS} days (relative to `nowMs`) dropped. Text
 * above the marker is kept; lines below it that are not JSON are kept too
 * (nothing a person wrote is lost).
 * @experimental
 * @example
 * const next = appendRunLog(existingText, [{ ts: new Date().toISOString(), tick: 1, outcome: 'noop' }], Date.now())
 */
export function appendRunLog(existing: string | undefined, entries: readonly RunLogEntry[], nowMs: number, retentionDays = RUN_LOG_RETENTION_DAYS): string {
  const text = existing ?? ''
  const at = text.indexOf(RUN_LOG_MARKER)
  const head = at >= 0 ? text.slice(0, at) : text.trim() ? `${text.trimEnd()}\n\n` : '# Loop run log\n\nAppend-only record of every tick, newest last.\n\n'
  const body = at >= 0 ? text.slice(at + RUN_LOG_MARKER.length) : ''
  const cutoff = nowMs - retentionDays * DAY_MS
  const kept: string[] = []
  for (const line of body.split('\n')) {
    if (!line.trim()) continue
    const ts = entryTime(line)
    if (ts !== undefined && ts < cutoff) continue
    kept.push(line)
  }
  for (const e of entries) kept.push(JSON.stringify(e))
  return `${head}${RUN_LOG_MARKER}\n${kept.map((l) => `${l}\n`).join('')}`
}

function entryTime(line: string): number | undefined {
  try {
    const v = JSON.parse(line) as { ts?: unknown }
    const t = typeof v?.ts === 'string' ? Date.parse(v.ts) : Number.NaN
    return Number.isFinite(t) ? t : undefined
  } catch {
    return undefined
  }
}

/**
 * The JSON entries of a run log (lines after the marker that parse).
 * @experimental
 * @example
 * readRunLog(text).filter((e) => e.outcome === 'escalated')
 */
export function readRunLog(text: string | undefined): RunLogEntry[] {
  if (!text) return []
  const at = text.indexOf(RUN_LOG_MARKER)
  if (at < 0) return []
  const out: RunLogEntry[] = []
  for (const line of text.slice(at + RUN_LOG_MARKER.length).split('\n')) {
    if (!line.trim()) continue
    try {
      out.push(JSON.parse(line) as RunLogEntry)
    } catch {
      // not an entry; kept in the file, skipped here
    }
  }
  return out
}

/**
 * True when a `STATE.md` carries the `halt: true` flag (a line of its own,
 * anywhere, case-insensitive) — the kill-switch people can set by hand.
 * @experimental
 * @example
 * stateHalted('---\nhalt: true\n---\n# State') // true
 */
export function stateHalted(text: string | undefined): boolean {
  return !!text && /^\s*halt:\s*true\s*$/im.test(text)
}

/** What `STATE.md` shows. @experimental */
export interface LoopStateView {
  patternId: string
  patternName: string
  level: string
  updatedAt: string
  /** Keeps a person's `halt: true`. */
  halt: boolean
  lastTick?: { tick: number; decision: string; outcome: string; summary?: string; branch?: string; commit?: string; reasons?: string[] }
  budgetLine?: string
  /** Open escalations waiting for a person. */
  escalations?: string[]
}

/**
 * Renders `STATE.md`: front matter with `halt`, then the current state.
 * @experimental
 * @example
 * renderStateMd({ patternId: 'daily-triage', patternName: 'Daily Triage', level: 'L2', updatedAt: new Date().toISOString(), halt: false })
 */
export function renderStateMd(view: LoopStateView): string {
  const lines = ['---', `halt: ${view.halt ? 'true' : 'false'}`, `pattern: ${view.patternId}`, `level: ${view.level}`, `updated: ${view.updatedAt}`, '---', '', `# ${view.patternName}: state`, '']
  lines.push('Set `halt: true` above to stop every further tick before it spends anything.', '')
  if (view.lastTick) {
    const t = view.lastTick
    lines.push('## Last tick', '', `- tick: ${t.tick}`, `- decision: ${t.decision}`, `- outcome: ${t.outcome}`)
    if (t.summary) lines.push(`- summary: ${t.summary}`)
    if (t.branch) lines.push(`- branch: ${t.branch}`)
    if (t.commit) lines.push(`- commit: ${t.commit}`)
    if (t.reasons?.length) lines.push(`- reasons: ${t.reasons.join('; ')}`)
    lines.push('')
  }
  if (view.escalations?.length) lines.push('## Waiting for a person', '', ...view.escalations.map((e) => `- ${e}`), '')
  if (view.budgetLine) lines.push('## Budget', '', view.budgetLine, '')
  return lines.join('\n')
}

/**
 * The budget line: `Budget: 5,000 / 100,000 tokens spent today.`
 * @experimental
 * @example
 * formatBudgetLine(5000, 100000) // 'Budget: 5,000 / 100,000 tokens spent today.'
 */
export function formatBudgetLine(spentTokens: number, capTokens?: number): string {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
  return capTokens === undefined ? `Budget: ${fmt(spentTokens)} tokens spent today (no daily cap).` : `Budget: ${fmt(spentTokens)} / ${fmt(capTokens)} tokens spent today.`
}
