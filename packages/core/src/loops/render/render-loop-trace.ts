import { ValidationError } from '../../errors.js'
import { describeValue } from '../../util/describe-value.js'
import type { LoopIterationDispatchPayload, LoopIterationEndedPayload, LoopIterationStartedPayload, LoopPlanPayload, LoopTraceEvent } from '../../contracts/loop.js'

/** Options of {@link renderLoopTrace}. @experimental */
export interface RenderLoopTraceOptions {
  /** ANSI colours for terminals. Default false. */
  color?: boolean
  /** Longest rationale shown, in characters. Default 160. */
  maxRationaleChars?: number
}

type Paint = (code: string, text: string) => string

const ANSI = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36', magenta: '35' } as const

function formatMs(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(2)}s`
}

function formatUsd(usd: number | undefined): string | undefined {
  return usd === undefined || !Number.isFinite(usd) ? undefined : `$${usd.toFixed(4)}`
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? `${flat.slice(0, max)}…` : flat
}

interface RunView {
  runId: string
  started?: Extract<LoopTraceEvent, { kind: 'loop.started' }>['payload']
  ended?: Extract<LoopTraceEvent, { kind: 'loop.ended' }>['payload']
  startAt?: number
  endAt?: number
  rounds: { plan: LoopPlanPayload; decision?: string }[]
  starts: Map<number, LoopIterationStartedPayload>
  ends: Map<number, LoopIterationEndedPayload>
  dispatch: Map<number, LoopIterationDispatchPayload>
  teardown: Map<number, string>
}

function collect(events: readonly LoopTraceEvent[]): RunView[] {
  const runs = new Map<string, RunView>()
  for (const e of events) {
    let v = runs.get(e.runId)
    if (!v) {
      v = { runId: e.runId, rounds: [], starts: new Map(), ends: new Map(), dispatch: new Map(), teardown: new Map() }
      runs.set(e.runId, v)
    }
    v.startAt ??= e.timestamp
    v.endAt = e.timestamp
    switch (e.kind) {
      case 'loop.started':
        v.started = e.payload
        v.startAt = e.timestamp
        break
      case 'loop.ended':
        v.ended = e.payload
        break
      case 'loop.plan':
        v.rounds.push({ plan: e.payload })
        break
      case 'loop.decision': {
        const round = [...v.rounds].reverse().find((r) => r.plan.roundIndex === e.payload.roundIndex)
        if (round) round.decision = e.payload.decision
        break
      }
      case 'loop.iteration.started':
        v.starts.set(e.payload.iterationIndex, e.payload)
        break
      case 'loop.iteration.ended':
        v.ends.set(e.payload.iterationIndex, e.payload)
        break
      case 'loop.iteration.dispatch':
        v.dispatch.set(e.payload.iterationIndex, e.payload)
        break
      case 'loop.teardown.failed':
        if (e.payload.iterationIndex !== undefined) v.teardown.set(e.payload.iterationIndex, e.payload.reason)
        break
    }
  }
  return [...runs.values()]
}

function renderIteration(v: RunView, index: number, paint: Paint): string {
  const start = v.starts.get(index)
  const end = v.ends.get(index)
  const parts = [`${paint(ANSI.bold, `#${index}`)} ${start?.agentRunName ?? end?.agentRunName ?? '?'}`]
  if (!end) parts.push(paint(ANSI.yellow, '… unfinished'))
  else if (end.error) parts.push(paint(ANSI.red, `⚠ error: ${oneLine(end.error, 120)}`))
  else if (end.verdict) {
    const verdict = `${end.verdict.valid ? '✓ valid' : '✗ invalid'} ${end.verdict.score.toFixed(2)}`
    parts.push(paint(end.verdict.valid ? ANSI.green : ANSI.red, verdict))
  } else parts.push(paint(ANSI.dim, 'no verdict'))
  const meta = [formatUsd(end?.costUsd), formatMs(end?.durationMs)]
  if (end?.tokenUsage) meta.push(`${end.tokenUsage.input}→${end.tokenUsage.output} tok`)
  const place = v.dispatch.get(index)
  if (place?.placement === 'fleet') meta.push(`fleet ${place.fleetId ?? '?'}/${place.machineId ?? '?'}`)
  const shown = meta.filter((m): m is string => m !== undefined)
  if (shown.length > 0) parts.push(paint(ANSI.dim, shown.join(' · ')))
  const teardown = v.teardown.get(index)
  if (teardown) parts.push(paint(ANSI.yellow, `teardown failed: ${oneLine(teardown, 80)}`))
  let line = parts.join(' · ')
  if (v.ended?.winnerIterationIndex === index) line += ` ${paint(ANSI.yellow, '★ winner')}`
  return line
}

function renderRun(v: RunView, paint: Paint, maxRationale: number): string[] {
  const head = [paint(ANSI.bold, `loop ${v.runId}`)]
  if (v.started) head.push(`driver ${v.started.driver}`, `agents ${v.started.agentRunNames.join(', ')}`)
  const duration = v.ended?.durationMs ?? (v.startAt !== undefined && v.endAt !== undefined ? v.endAt - v.startAt : undefined)
  const meta = [formatMs(duration), formatUsd(v.ended?.totalCostUsd)].filter((m): m is string => m !== undefined)
  if (meta.length > 0) head.push(paint(ANSI.dim, meta.join(' · ')))
  if (v.ended?.decision) head.push(`decision ${v.ended.decision}`)
  head.push(v.ended?.winnerIterationIndex !== undefined ? paint(ANSI.yellow, `winner #${v.ended.winnerIterationIndex}`) : v.ended ? 'no winner' : paint(ANSI.yellow, 'running'))
  const lines = [head.join(' · ')]

  const placed = new Set<number>()
  v.rounds.forEach((round, r) => {
    const lastRound = r === v.rounds.length - 1
    const { plan } = round
    const children = plan.childIndices.filter((i) => v.starts.has(i) || v.ends.has(i))
    for (const i of children) placed.add(i)
    const move = plan.moveKind === 'fanout' ? `fanout ×${plan.plannedCount}` : plan.moveKind
    const bits = [`round ${plan.roundIndex}`, paint(ANSI.cyan, move)]
    if (plan.parentIndex !== undefined) bits.push(`from #${plan.parentIndex}`)
    if (plan.rationale) bits.push(paint(ANSI.magenta, `"${oneLine(plan.rationale, maxRationale)}"`))
    if (round.decision && round.decision !== 'continue') bits.push(paint(ANSI.dim, `→ ${round.decision}`))
    lines.push(`${lastRound ? '└─' : '├─'} ${bits.join(' · ')}`)
    children.forEach((i, c) => {
      lines.push(`${lastRound ? '   ' : '│  '}${c === children.length - 1 ? '└─' : '├─'} ${renderIteration(v, i, paint)}`)
    })
  })
  const orphans = [...new Set([...v.starts.keys(), ...v.ends.keys()])].filter((i) => !placed.has(i)).sort((a, b) => a - b)
  for (const i of orphans) lines.push(`·  ${renderIteration(v, i, paint)}`)
  return lines
}

/**
 * Renders finished (or running) loops as a readable terminal tree: each
 * round's move and rationale, each iteration's harness, verdict, cost,
 * duration and tokens, and the winner. Pure: events in, string out.
 * @experimental
 * @example
 * const events: LoopTraceEvent[] = []
 * await runLoop({ ...options, ctx: { sandboxClient, traceEmitter: { emit: (e) => void events.push(e) } } })
 * console.log(renderLoopTrace(events, { color: process.stdout.isTTY }))
 */
export function renderLoopTrace(events: readonly LoopTraceEvent[], options: RenderLoopTraceOptions = {}): string {
  if (!Array.isArray(events)) {
    throw new ValidationError(`renderLoopTrace: events must be an array of loop trace events (collect them with ctx.traceEmitter), got ${describeValue(events)}.`)
  }
  const bad = events.findIndex((e) => !e || typeof e !== 'object' || typeof e.kind !== 'string' || typeof e.runId !== 'string')
  if (bad !== -1) throw new ValidationError(`renderLoopTrace: events[${bad}] is not a loop trace event { kind, runId, timestamp, payload }, got ${describeValue(events[bad])}.`)
  const paint: Paint = options.color ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text
  const maxRationale = Math.max(8, options.maxRationaleChars ?? 160)
  const runs = collect(events)
  if (runs.length === 0) return '(no loop events)'
  return runs.map((v) => renderRun(v, paint, maxRationale).join('\n')).join('\n\n')
}
