import { ConfigError, createAbortError, errorMessage } from '../errors.js'
import { BUDGET_EXCEEDED, type BudgetReport, createBudgetMeter, type LoopBudget, validateLoopBudget } from '../loop-ops/budget.js'
import type { BreakerStatus, BudgetBreaker } from '../loop-ops/breaker.js'
import { type Clock, systemClock } from '../util/clock.js'
import { DELEGATED_LOOP_MODES, type DelegatedLoopMode } from './modes.js'

export { DELEGATED_LOOP_FACTORIES, DELEGATED_LOOP_FACTORY_HOMES, DELEGATED_LOOP_MODES, type DelegatedLoopMode } from './modes.js'

/**
 * True when `value` is one of {@link DELEGATED_LOOP_MODES}. @experimental
 * @example
 * if (!isDelegatedLoopMode(argv.mode)) throw new Error(`unknown mode ${argv.mode}`)
 */
export function isDelegatedLoopMode(value: unknown): value is DelegatedLoopMode {
  return typeof value === 'string' && (DELEGATED_LOOP_MODES as readonly string[]).includes(value)
}

/** What `runDelegatedLoop` hands a runner besides the signal. @experimental */
export interface DelegatedRunContext {
  /** The run's hard caps; loop-based runners pass them to `runLoop`. */
  budget?: LoopBudget
  /** Reports spend as it happens, so the caps (and the breaker's ledger) hold for runners that are not `runLoop`-based. */
  recordUsage(usage: { tokens: number; costUsd?: number }): void
  /** The cross-run breaker; `runLoop`-based runners pass it to `runLoop({ breaker })` and then must not also call `recordUsage`. */
  breaker?: BudgetBreaker
}

/** A loop of one mode, ready to run: it needs a signal, and may use the run context. @experimental */
export type DelegatedLoopRunner<T = unknown> = (signal: AbortSignal, context?: DelegatedRunContext) => Promise<T>

/** The runners a deployment offers, by mode. @experimental */
export type DelegatedLoopRegistry = Partial<Record<DelegatedLoopMode, DelegatedLoopRunner>>

/** Outcome of {@link runDelegatedLoop}: recorded, never thrown, for unattended runs. @experimental */
export interface DelegatedLoopResult<T = unknown> {
  mode: DelegatedLoopMode
  ok: boolean
  output?: T
  error?: string
  durationMs: number
  /** `budget-exceeded` when the budget stopped the run. */
  decision?: typeof BUDGET_EXCEEDED
  /** The cap that stopped the run and what was spent. */
  budget?: BudgetReport
  /** Set when the budget breaker stopped the run: its kill-switch or the day's cap. */
  halted?: { halt: 'kill-switch' | 'daily-cap'; reason: string }
}

/** Options of {@link runDelegatedLoop}. @experimental */
export interface RunDelegatedLoopOptions {
  signal?: AbortSignal
  now?: Clock
  /** Hard caps of this one run. */
  budget?: LoopBudget
  /**
   * A budget breaker shared across runs (`createBudgetBreaker`): `check()`
   * before the runner starts (kill-switch, then a reservation against the
   * day's cap), every `recordUsage` recorded in its ledger and followed by
   * `guard()` (a kill-switch or a crossed cap aborts the runner), `settle()` at the end.
   */
  breaker?: BudgetBreaker
}

/**
 * The modes a registry has runners for, in canonical order. @experimental
 * @example
 * registeredDelegatedModes({ research: runner, code: runner }) // → ['code', 'research']
 */
export function registeredDelegatedModes(registry: DelegatedLoopRegistry): DelegatedLoopMode[] {
  return DELEGATED_LOOP_MODES.filter((m) => typeof registry[m] === 'function')
}

/**
 * Runs the registry's runner for `mode`. A missing runner is a configuration
 * error and throws `ConfigError`; a runner that throws is recorded as
 * `{ ok: false, error }` so a cron job can report it.
 * @experimental
 * @example
 * const res = await runDelegatedLoop('research', { research: researchLoopRunner({ research: findSources }) })
 */
export async function runDelegatedLoop<T = unknown>(
  mode: DelegatedLoopMode,
  registry: DelegatedLoopRegistry,
  options: RunDelegatedLoopOptions = {},
): Promise<DelegatedLoopResult<T>> {
  const runner = registry?.[mode]
  if (typeof runner !== 'function') {
    const registered = registeredDelegatedModes(registry ?? {})
    throw new ConfigError(`runDelegatedLoop: no runner registered for mode '${mode}' (registered: ${registered.join(', ') || 'none'})`)
  }
  const breaker = options.breaker
  if (breaker !== undefined && (typeof breaker?.check !== 'function' || typeof breaker.record !== 'function' || typeof breaker.settle !== 'function')) {
    throw new ConfigError('runDelegatedLoop: breaker must have check(), record(usage) and settle() (pass createBudgetBreaker({...}))')
  }
  const now = options.now ?? systemClock
  const start = now()
  if (!breaker) return runWithinBudget<T>(mode, runner, options, now, start)
  const before = await breaker.check()
  if (!before.ok) return haltedResult<T>(mode, before, now() - start)
  // Ledger writes go beside the run; the result waits for them so nothing spent goes unrecorded.
  const writes: Promise<unknown>[] = []
  // After each recorded usage the breaker is asked again (kill-switch, day's cap), so a run in flight stops at the next report.
  const record: RecordUsage = (u, halt) =>
    writes.push(
      breaker
        .record(u)
        .then(() => breaker.guard?.())
        .then((s) => {
          if (s && !s.ok) halt(s)
        })
        .catch(() => undefined),
    )
  try {
    const result = await runWithinBudget<T>(mode, runner, { ...options, breaker }, now, start, record)
    await Promise.all(writes)
    const loopBudget = result.budget ?? (result.output as { budget?: BudgetReport } | null | undefined)?.budget
    // A runLoop-based runner that was handed the breaker reports its stop as a budget limit of the breaker's kinds.
    if (loopBudget && (loopBudget.limit === 'kill-switch' || loopBudget.limit === 'daily-cap')) {
      const reason = loopBudget.detail ?? loopBudget.limit
      return { ...result, ok: false, halted: { halt: loopBudget.limit, reason }, error: result.error ?? `halted by the budget breaker (${loopBudget.limit}): ${reason}` }
    }
    return result
  } finally {
    await Promise.all(writes)
    await breaker.settle().catch(() => undefined)
  }
}

function haltedResult<T>(mode: DelegatedLoopMode, s: BreakerStatus, durationMs: number): DelegatedLoopResult<T> {
  const halt = s.halt ?? 'daily-cap'
  const reason = s.reason ?? halt
  return { mode, ok: false, error: `halted by the budget breaker (${halt}): ${reason}`, halted: { halt, reason }, durationMs }
}

type RecordUsage = (usage: { tokens: number; costUsd?: number }, halt: (status: BreakerStatus) => void) => void

async function runWithinBudget<T>(
  mode: DelegatedLoopMode,
  runner: DelegatedLoopRunner,
  options: RunDelegatedLoopOptions,
  now: Clock,
  start: number,
  record?: RecordUsage,
): Promise<DelegatedLoopResult<T>> {
  const budget = validateLoopBudget(options.budget, 'runDelegatedLoop')
  if (!budget && !record) {
    const signal = options.signal ?? new AbortController().signal
    try {
      const output = (await runner(signal)) as T
      return { mode, ok: true, output, durationMs: now() - start }
    } catch (err) {
      return { mode, ok: false, error: errorMessage(err), durationMs: now() - start }
    }
  }
  // With a budget the runner gets its own signal: crossing a cap aborts it and the run ends at once.
  const control = new AbortController()
  const forward = () => control.abort(options.signal?.reason)
  if (options.signal?.aborted) forward()
  else options.signal?.addEventListener('abort', forward, { once: true })
  const meter = budget ? createBudgetMeter(budget, now) : undefined
  let stop: BudgetReport | undefined
  let onStop: (() => void) | undefined
  const stopped = new Promise<void>((resolve) => (onStop = resolve))
  const trip = (reason: BudgetReport['reason']) => {
    if (!meter) return
    const limit = meter.crossed()
    if (!limit || stop) return
    stop = meter!.report(limit, reason)
    control.abort(createAbortError(`budget exceeded: ${limit}`))
    onStop?.()
  }
  let breakerHalt: BreakerStatus | undefined
  const halt = (status: BreakerStatus) => {
    if (stop || breakerHalt) return
    breakerHalt = status
    control.abort(createAbortError(`budget breaker: ${status.reason ?? status.halt}`))
    onStop?.()
  }
  const wall = meter?.wallRemainingMs()
  const timer = wall === undefined ? undefined : setTimeout(() => trip('crossed'), wall)
  const context: DelegatedRunContext = {
    ...(budget ? { budget } : {}),
    ...(options.breaker ? { breaker: options.breaker } : {}),
    recordUsage: (u) => {
      const usage = { tokens: Math.max(0, u.tokens || 0), costUsd: Math.max(0, u.costUsd ?? 0) }
      record?.(usage, halt)
      if (!meter) return
      meter.add(0, usage)
      trip('crossed')
    },
  }
  const exceeded = (report: BudgetReport): DelegatedLoopResult<T> => ({
    mode,
    ok: false,
    error: `${BUDGET_EXCEEDED}: ${report.limit}`,
    decision: BUDGET_EXCEEDED,
    budget: report,
    durationMs: now() - start,
  })
  try {
    const ran = runner(control.signal, context).then(
      (output) => ({ output }),
      (err: unknown) => ({ err }),
    )
    const settled = await Promise.race([ran, stopped.then(() => undefined)])
    if (breakerHalt) return haltedResult<T>(mode, breakerHalt, now() - start)
    if (stop || settled === undefined) return exceeded(stop!)
    if ('err' in settled) return { mode, ok: false, error: errorMessage(settled.err), durationMs: now() - start }
    const output = settled.output as T
    // A runLoop-based runner enforces the caps itself and says so in its result.
    const loopBudget = (output as { budget?: BudgetReport } | null)?.budget
    if ((output as { decision?: unknown } | null)?.decision === BUDGET_EXCEEDED && loopBudget) return { ...exceeded(loopBudget), output }
    return { mode, ok: true, output, durationMs: now() - start }
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    options.signal?.removeEventListener('abort', forward)
  }
}
