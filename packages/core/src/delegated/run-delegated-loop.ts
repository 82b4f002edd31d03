import { ConfigError, createAbortError, errorMessage } from '../errors.js'
import { BUDGET_EXCEEDED, type BudgetReport, createBudgetMeter, type LoopBudget, validateLoopBudget } from '../loop-ops/budget.js'
import { type Clock, systemClock } from '../util/clock.js'
import { DELEGATED_LOOP_MODES, type DelegatedLoopMode } from './modes.js'

export { DELEGATED_LOOP_FACTORIES, DELEGATED_LOOP_MODES, type DelegatedLoopMode } from './modes.js'

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
  /** Reports spend as it happens, so the caps hold for runners that are not `runLoop`-based. */
  recordUsage(usage: { tokens: number; costUsd?: number }): void
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
  options: { signal?: AbortSignal; now?: Clock; budget?: LoopBudget } = {},
): Promise<DelegatedLoopResult<T>> {
  const runner = registry?.[mode]
  if (typeof runner !== 'function') {
    const registered = registeredDelegatedModes(registry ?? {})
    throw new ConfigError(`runDelegatedLoop: no runner registered for mode '${mode}' (registered: ${registered.join(', ') || 'none'})`)
  }
  const now = options.now ?? systemClock
  const budget = validateLoopBudget(options.budget, 'runDelegatedLoop')
  const start = now()
  if (!budget) {
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
  const meter = createBudgetMeter(budget, now)
  let stop: BudgetReport | undefined
  let onStop: (() => void) | undefined
  const stopped = new Promise<void>((resolve) => (onStop = resolve))
  const trip = (reason: BudgetReport['reason']) => {
    const limit = meter.crossed()
    if (!limit || stop) return
    stop = meter.report(limit, reason)
    control.abort(createAbortError(`budget exceeded: ${limit}`))
    onStop?.()
  }
  const wall = meter.wallRemainingMs()
  const timer = wall === undefined ? undefined : setTimeout(() => trip('crossed'), wall)
  const context: DelegatedRunContext = {
    budget,
    recordUsage: (u) => {
      meter.add(0, { tokens: Math.max(0, u.tokens || 0), costUsd: Math.max(0, u.costUsd ?? 0) })
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
