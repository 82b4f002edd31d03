/** The console's view models: run summaries, the loop → round → iteration tree, budget rows. Pure functions over store records. */
import { ledgerDay } from '@tangle-network/agent-runtime-core'
import type { AgentRunRecord, TraceEventRecord, TraceStore } from '@tangle-network/agent-runtime-core/agent'
import type { ConsoleBudget } from './stores.js'

/** One iteration of the trace tree. @experimental */
export interface IterationView {
  index: number
  agentRunName?: string
  state: 'running' | 'ended'
  valid?: boolean
  score?: number
  notes?: string
  outcome?: string
  failedChecks: string[]
  patch?: string
  files: string[]
  costUsd?: number
  tokens?: number
  durationMs?: number
  error?: string
  preview?: string
}

/** One round of a loop. @experimental */
export interface RoundView {
  index: number
  moveKind?: string
  rationale?: string
  decision?: string
  iterations: IterationView[]
}

/** One loop within a run. @experimental */
export interface LoopView {
  driver?: string
  label?: string
  state: 'running' | 'ended'
  decision?: string
  winner?: number
  costUsd: number
  tokens: number
  durationMs?: number
  rounds: RoundView[]
}

/** A run row of the runs page. @experimental */
export interface RunSummary {
  run: AgentRunRecord
  status: 'running' | 'completed' | 'failed' | 'halted'
  costUsd: number
  tokens: number
  iterations: number
  durationMs: number
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])

function iterationTokens(p: Record<string, unknown>): number | undefined {
  const direct = num(p.tokens)
  if (direct !== undefined) return direct
  const u = p.tokenUsage as { input?: unknown; output?: unknown } | undefined
  return u ? (num(u.input) ?? 0) + (num(u.output) ?? 0) : undefined
}

/**
 * Folds a run's loop events into loops → rounds → iterations. A new
 * `loop.started` opens a new loop; rounds key by `roundIndex`, iterations by
 * `iterationIndex` within their loop.
 * @experimental
 * @example
 * const loops = buildTraceTree(await traces.events(runId, { kind: 'loop' }))
 */
export function buildTraceTree(events: readonly TraceEventRecord[]): LoopView[] {
  const loops: LoopView[] = []
  let current: LoopView | undefined
  const open = (): LoopView => {
    if (!current) {
      current = { state: 'running', costUsd: 0, tokens: 0, rounds: [] }
      loops.push(current)
    }
    return current
  }
  const round = (loop: LoopView, index: number): RoundView => {
    let r = loop.rounds.find((x) => x.index === index)
    if (!r) {
      r = { index, iterations: [] }
      loop.rounds.push(r)
      loop.rounds.sort((a, b) => a.index - b.index)
    }
    return r
  }
  const iteration = (r: RoundView, index: number): IterationView => {
    let it = r.iterations.find((x) => x.index === index)
    if (!it) {
      it = { index, state: 'running', failedChecks: [], files: [] }
      r.iterations.push(it)
      r.iterations.sort((a, b) => a.index - b.index)
    }
    return it
  }
  for (const e of events) {
    if (e.kind !== 'loop') continue
    const p = e.payload
    switch (e.type) {
      case 'loop.started': {
        current = { driver: str(p.driver), label: str(p.name) ?? str(p.pattern), state: 'running', costUsd: 0, tokens: 0, rounds: [] }
        loops.push(current)
        break
      }
      case 'loop.plan': {
        const r = round(open(), num(p.roundIndex) ?? 0)
        r.moveKind = str(p.moveKind)
        r.rationale = str(p.rationale)
        break
      }
      case 'loop.iteration.started': {
        const it = iteration(round(open(), num(p.roundIndex) ?? 0), num(p.iterationIndex) ?? 0)
        it.agentRunName = str(p.agentRunName)
        break
      }
      case 'loop.iteration.ended': {
        const loop = open()
        const it = iteration(round(loop, num(p.roundIndex) ?? 0), num(p.iterationIndex) ?? 0)
        const v = p.verdict as { valid?: unknown; score?: unknown; notes?: unknown; failedChecks?: unknown } | undefined
        Object.assign(it, {
          state: 'ended',
          agentRunName: str(p.agentRunName) ?? it.agentRunName,
          valid: typeof v?.valid === 'boolean' ? v.valid : undefined,
          score: num(v?.score),
          notes: str(v?.notes),
          outcome: str(p.outcome),
          // Pattern ticks put failed checks beside the verdict; coder verdicts carry them inside it.
          failedChecks: [...new Set([...strs(p.failedChecks), ...strs(v?.failedChecks)])],
          patch: str(p.patch),
          files: strs(p.files),
          costUsd: num(p.costUsd),
          tokens: iterationTokens(p),
          durationMs: num(p.durationMs),
          error: str(p.error),
          preview: str(p.outputPreview),
        } satisfies Partial<IterationView>)
        loop.costUsd += it.costUsd ?? 0
        loop.tokens += it.tokens ?? 0
        break
      }
      case 'loop.decision': {
        round(open(), num(p.roundIndex) ?? 0).decision = str(p.decision)
        break
      }
      case 'loop.ended': {
        const loop = open()
        loop.state = 'ended'
        loop.decision = str(p.decision)
        loop.winner = num(p.winnerIterationIndex)
        loop.durationMs = num(p.durationMs)
        loop.costUsd = num(p.totalCostUsd) ?? loop.costUsd
        current = undefined
        break
      }
    }
  }
  return loops
}

/**
 * Summarises a run for the runs page: status (`halted` when the kill-switch
 * or budget stopped it), cost and tokens (live from iteration events while
 * running), iterations and duration.
 * @experimental
 * @example
 * const row = summarizeRun(run, await traces.events(run.runId, { kind: 'loop' }), Date.now())
 */
export function summarizeRun(run: AgentRunRecord, events: readonly TraceEventRecord[], now: number): RunSummary {
  const loops = buildTraceTree(events)
  const iterations = loops.flatMap((l) => l.rounds.flatMap((r) => r.iterations))
  const liveCost = loops.reduce((s, l) => s + l.costUsd, 0)
  const halted = run.status === 'failed' && typeof run.error === 'string' && run.error.startsWith('halted')
  return {
    run,
    status: halted ? 'halted' : run.status,
    costUsd: run.costUsd ?? liveCost,
    tokens: loops.reduce((s, l) => s + l.tokens, 0),
    iterations: iterations.length,
    durationMs: (run.endedAt ?? now) - run.startedAt,
  }
}

/**
 * The newest runs of the last `days` days (default 7), newest first, at most `limit` (default 100).
 * @experimental
 * @example
 * const rows = await listRunSummaries(traces, Date.now())
 */
export async function listRunSummaries(traces: TraceStore, now: number, options: { days?: number; limit?: number } = {}): Promise<RunSummary[]> {
  const runs = await traces.listRuns({ since: now - (options.days ?? 7) * 86_400_000 })
  const newest = runs.reverse().slice(0, options.limit ?? 100)
  return Promise.all(newest.map(async (run) => summarizeRun(run, await traces.events(run.runId, { kind: 'loop' }), now)))
}

/** One pattern's row on the budget page. @experimental */
export interface BudgetRow {
  id: string
  name: string
  day: string
  tokens: number
  costUsd: number
  dailyTokenCap?: number
  dailyCostCapUsd?: number
  /** Share of the cap spent, 0..1+ (the larger of tokens and dollars when both caps exist). */
  used?: number
  /** The previous days' token spend, oldest first: the burn history. */
  history: { day: string; tokens: number; costUsd: number }[]
  /** Today's cumulative tokens after each finished iteration of this pattern's runs (from the trace store), oldest first. */
  burn: { at: number; tokens: number }[]
}

/** Today's cumulative iteration tokens of the runs whose `agentId` is the pattern id. */
async function burnSeries(traces: TraceStore | undefined, patternId: string, today: string, tz: string, now: number): Promise<BudgetRow['burn']> {
  if (!traces) return []
  const runs = await traces.listRuns({ agentId: patternId, since: now - 2 * 86_400_000 })
  const points: { at: number; tokens: number }[] = []
  for (const run of runs) {
    for (const e of await traces.events(run.runId, { kind: 'loop' })) {
      if (e.type !== 'loop.iteration.ended' || ledgerDay(e.timestamp, tz) !== today) continue
      const tokens = iterationTokens(e.payload)
      if (tokens) points.push({ at: e.timestamp, tokens })
    }
  }
  points.sort((a, b) => a.at - b.at)
  let sum = 0
  const series: BudgetRow['burn'] = []
  for (const p of points) {
    sum += p.tokens
    series.push({ at: p.at, tokens: sum })
  }
  return series
}

/**
 * Today's spend of every pattern against its cap, with the previous `days`
 * (default 6) days and, given the trace store, today's burn curve.
 * @experimental
 * @example
 * const rows = await budgetRows({ ledger, patterns: [{ id: 'daily-triage', dailyTokenCap: 100_000 }] }, Date.now())
 */
export async function budgetRows(budget: ConsoleBudget, now: number, options: { days?: number; traces?: TraceStore } = {}): Promise<BudgetRow[]> {
  const tz = budget.timezone ?? 'UTC'
  const back = options.days ?? 6
  const days = Array.from({ length: back + 1 }, (_, i) => ledgerDay(now - (back - i) * 86_400_000, tz))
  const today = days[days.length - 1]!
  return Promise.all(
    budget.patterns.map(async (p) => {
      const totals = await Promise.all(days.map(async (day) => ({ day, ...(await budget.ledger.totals(p.id, day)) })))
      const t = totals[totals.length - 1]!
      const shares = [p.dailyTokenCap ? t.tokens / p.dailyTokenCap : undefined, p.dailyCostCapUsd ? t.costUsd / p.dailyCostCapUsd : undefined].filter((x): x is number => x !== undefined)
      return {
        id: p.id,
        name: p.name ?? p.id,
        day: today,
        tokens: t.tokens,
        costUsd: t.costUsd,
        ...(p.dailyTokenCap !== undefined ? { dailyTokenCap: p.dailyTokenCap } : {}),
        ...(p.dailyCostCapUsd !== undefined ? { dailyCostCapUsd: p.dailyCostCapUsd } : {}),
        ...(shares.length ? { used: Math.max(...shares) } : {}),
        history: totals,
        burn: await burnSeries(options.traces, p.id, today, tz, now),
      }
    }),
  )
}
