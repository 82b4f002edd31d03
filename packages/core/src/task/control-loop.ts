import { ValidationError, errorMessage, isAbortError } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import type { FailureClass } from './run-records.js'
import { describeValue } from '../util/describe-value.js'

/** One validator's verdict on a state. `score` is in [0,1]. @stable */
export interface ControlEvalResult {
  id: string
  passed: boolean
  score?: number
  severity?: 'info' | 'warning' | 'error' | 'critical'
  detail?: string
  evidence?: string[]
  objective?: string
}

/** Limits of a control loop. Defaults: 8 steps, 5 minutes, no cost limit. @stable */
export interface ControlBudget {
  maxSteps: number
  maxWallMs?: number
  maxCostUsd?: number
}

/** What `decide` returns: act once more, or stop. @stable */
export type ControlDecision<A> =
  | { type: 'continue'; action: A; reason?: string }
  | { type: 'stop'; reason: string; pass?: boolean; score?: number; failureClass?: FailureClass }

/** How one action went. @stable */
export interface ControlActionOutcome<R> {
  ok: boolean
  result?: R
  error?: string
  costUsd?: number
  durationMs: number
}

/** One observe → validate → decide → act step. Times are epoch ms. @stable */
export interface ControlStep<S, A, R> {
  index: number
  decision: ControlDecision<A>
  beforeState: S
  afterState: S
  evalsBefore: ControlEvalResult[]
  evalsAfter: ControlEvalResult[]
  actionOutcome?: ControlActionOutcome<R>
  startedAt: number
  endedAt: number
}

/** Why the loop ended. @stable */
export type ControlStoppedBy = 'policy' | 'stop-policy' | 'budget' | 'abort' | 'runtime-error'

/** A hook that threw, recorded instead of crashing the loop. @stable */
export interface ControlRuntimeError {
  phase: 'observe' | 'validate' | 'decide' | 'act' | 'shouldStop' | 'onStep'
  step: number
  message: string
}

/** Result of {@link runAgentControlLoop}. @stable */
export interface ControlRunResult<S, A, R> {
  intent: string
  pass: boolean
  /** True when a policy ended the loop (not budget, abort or an error). */
  completed: boolean
  reason: string
  score?: number
  steps: ControlStep<S, A, R>[]
  finalState: S | undefined
  finalEvals: ControlEvalResult[]
  wallMs: number
  spentCostUsd: number
  runId: string | null
  failureClass?: FailureClass
  runtimeErrors: ControlRuntimeError[]
  stoppedBy: ControlStoppedBy
}

/** Context handed to every control-loop hook. @stable */
export interface ControlContext<S, A, R> {
  /** Index of the step about to run (0-based). */
  step: number
  steps: ControlStep<S, A, R>[]
  spentCostUsd: number
  signal?: AbortSignal
}

/** A `shouldStop` verdict: `true` stops with a pass; an object names the reason. @stable */
export type ControlStopVerdict = boolean | { stop: boolean; reason?: string; pass?: boolean }

/** Hooks and limits of {@link runAgentControlLoop}. @stable */
export interface AgentControlLoopConfig<S, A, R> {
  intent: string
  budget?: Partial<ControlBudget>
  signal?: AbortSignal
  now?: Clock
  runId?: string | null
  observe(ctx: ControlContext<S, A, R>): S | Promise<S>
  validate(state: S, ctx: ControlContext<S, A, R>): ControlEvalResult[] | Promise<ControlEvalResult[]>
  decide(input: { state: S; evals: ControlEvalResult[] } & ControlContext<S, A, R>): ControlDecision<A> | Promise<ControlDecision<A>>
  act(action: A, input: { state: S } & ControlContext<S, A, R>): R | Promise<R>
  /** Replaces the default stop rule (every eval passed or is below `error`). */
  shouldStop?(input: { state: S; evals: ControlEvalResult[] } & ControlContext<S, A, R>): ControlStopVerdict | Promise<ControlStopVerdict>
  /** Cost of one action, added to the spend the budget checks. */
  getActionCostUsd?(result: R, action: A): number | undefined
  onStep?(step: ControlStep<S, A, R>): void | Promise<void>
}

const DEFAULT_MAX_STEPS = 8
const DEFAULT_MAX_WALL_MS = 5 * 60_000

function resolveBudget(b: Partial<ControlBudget> | undefined): ControlBudget {
  const maxSteps = b?.maxSteps ?? DEFAULT_MAX_STEPS
  if (!Number.isInteger(maxSteps) || maxSteps < 0) {
    throw new ValidationError(`budget.maxSteps must be a non-negative integer; received ${describeValue(maxSteps)}.`)
  }
  const maxWallMs = b?.maxWallMs ?? DEFAULT_MAX_WALL_MS
  if (!(typeof maxWallMs === 'number' && maxWallMs >= 0 && !Number.isNaN(maxWallMs))) {
    throw new ValidationError(`budget.maxWallMs must be a number >= 0; received ${describeValue(maxWallMs)}.`)
  }
  const maxCostUsd = b?.maxCostUsd
  if (maxCostUsd !== undefined && !(typeof maxCostUsd === 'number' && maxCostUsd >= 0 && !Number.isNaN(maxCostUsd))) {
    throw new ValidationError(`budget.maxCostUsd must be a number >= 0; received ${describeValue(maxCostUsd)}.`)
  }
  return { maxSteps, maxWallMs, maxCostUsd }
}

/** Default stop rule: nothing failed at severity `error` or above. */
function evalsSatisfied(evals: ControlEvalResult[]): boolean {
  return evals.every((e) => e.passed || e.severity === 'info' || e.severity === 'warning')
}

function meanScore(evals: ControlEvalResult[]): number | undefined {
  const scores = evals.map((e) => e.score).filter((s): s is number => typeof s === 'number' && Number.isFinite(s))
  return scores.length === 0 ? undefined : scores.reduce((a, b) => a + b, 0) / scores.length
}

class HookError extends Error {
  constructor(
    readonly phase: ControlRuntimeError['phase'],
    readonly original: unknown,
  ) {
    super(errorMessage(original))
  }
}

async function hook<T>(phase: ControlRuntimeError['phase'], fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw new HookError(phase, err)
  }
}

/**
 * Runs observe → validate → decide → act until a policy stops it, the budget
 * (`maxSteps`, `maxWallMs`, `maxCostUsd`) runs out, the signal aborts, or a hook
 * throws. Never throws for hook errors: they end the loop with `stoppedBy: 'runtime-error'`.
 * @stable
 * @example
 * const res = await runAgentControlLoop({ intent: 'count', observe: () => n, validate: (s) => [{ id: 'ten', passed: s >= 10 }],
 *   decide: () => ({ type: 'continue', action: 1 }), act: (a) => { n += a } })
 */
export async function runAgentControlLoop<S, A, R>(config: AgentControlLoopConfig<S, A, R>): Promise<ControlRunResult<S, A, R>> {
  const budget = resolveBudget(config.budget)
  const now = config.now ?? systemClock
  const start = now()
  const steps: ControlStep<S, A, R>[] = []
  const runtimeErrors: ControlRuntimeError[] = []
  let spent = 0
  let state: S | undefined
  let evals: ControlEvalResult[] = []
  const ctx = (): ControlContext<S, A, R> => ({ step: steps.length, steps, spentCostUsd: spent, signal: config.signal })
  const finish = (
    stoppedBy: ControlStoppedBy,
    reason: string,
    extra: { pass?: boolean; score?: number; failureClass?: FailureClass } = {},
  ): ControlRunResult<S, A, R> => {
    const completed = stoppedBy === 'policy' || stoppedBy === 'stop-policy'
    const pass = completed && (extra.pass ?? evalsSatisfied(evals))
    return {
      intent: config.intent,
      pass,
      completed,
      reason,
      score: extra.score ?? meanScore(evals),
      steps,
      finalState: state,
      finalEvals: evals,
      wallMs: now() - start,
      spentCostUsd: spent,
      runId: config.runId ?? null,
      failureClass: extra.failureClass ?? defaultFailureClass(stoppedBy, pass, reason),
      runtimeErrors,
      stoppedBy,
    }
  }

  try {
    state = await hook('observe', () => config.observe(ctx()))
    evals = await hook('validate', () => config.validate(state as S, ctx()))
    for (;;) {
      if (config.signal?.aborted) return finish('abort', 'aborted')
      const verdict = config.shouldStop
        ? await hook('shouldStop', () => config.shouldStop!({ state: state as S, evals, ...ctx() }))
        : evalsSatisfied(evals)
      const stop = typeof verdict === 'boolean' ? { stop: verdict } : verdict
      if (stop.stop) return finish('stop-policy', stop.reason ?? 'stop policy satisfied', { pass: stop.pass ?? true })
      if (steps.length >= budget.maxSteps) return finish('budget', `budget exhausted: maxSteps ${budget.maxSteps} reached`)
      const elapsed = now() - start
      if (budget.maxWallMs !== undefined && elapsed >= budget.maxWallMs) {
        return finish('budget', `budget exhausted: maxWallMs ${budget.maxWallMs} reached after ${elapsed} ms`, { failureClass: 'timeout' })
      }
      if (budget.maxCostUsd !== undefined && spent >= budget.maxCostUsd) {
        return finish('budget', `budget exhausted: maxCostUsd ${budget.maxCostUsd} reached (spent ${spent})`)
      }
      const stepStart = now()
      const decision = await hook('decide', () => config.decide({ state: state as S, evals, ...ctx() }))
      if (decision.type === 'stop') {
        const step: ControlStep<S, A, R> = {
          index: steps.length,
          decision,
          beforeState: state as S,
          afterState: state as S,
          evalsBefore: evals,
          evalsAfter: evals,
          startedAt: stepStart,
          endedAt: now(),
        }
        steps.push(step)
        await hook('onStep', () => config.onStep?.(step))
        return finish('policy', decision.reason, { pass: decision.pass, score: decision.score, failureClass: decision.failureClass })
      }
      const actStart = now()
      let outcome: ControlActionOutcome<R>
      try {
        const result = await config.act(decision.action, { state: state as S, ...ctx() })
        const cost = config.getActionCostUsd?.(result, decision.action)
        const costUsd = typeof cost === 'number' && Number.isFinite(cost) && cost > 0 ? cost : undefined
        if (costUsd !== undefined) spent += costUsd
        outcome = { ok: true, result, costUsd, durationMs: now() - actStart }
      } catch (err) {
        outcome = { ok: false, error: errorMessage(err), durationMs: now() - actStart }
        const step = { index: steps.length, decision, beforeState: state as S, afterState: state as S, evalsBefore: evals, evalsAfter: evals, actionOutcome: outcome, startedAt: stepStart, endedAt: now() }
        steps.push(step)
        if (config.signal?.aborted || isAbortError(err)) return finish('abort', `aborted during act: ${outcome.error}`)
        runtimeErrors.push({ phase: 'act', step: step.index, message: outcome.error! })
        return finish('runtime-error', `act failed: ${outcome.error}`)
      }
      const before = state as S
      const evalsBefore = evals
      state = await hook('observe', () => config.observe(ctx()))
      evals = await hook('validate', () => config.validate(state as S, ctx()))
      const step: ControlStep<S, A, R> = {
        index: steps.length,
        decision,
        beforeState: before,
        afterState: state as S,
        evalsBefore,
        evalsAfter: evals,
        actionOutcome: outcome,
        startedAt: stepStart,
        endedAt: now(),
      }
      steps.push(step)
      await hook('onStep', () => config.onStep?.(step))
    }
  } catch (err) {
    if (!(err instanceof HookError)) throw err
    if (config.signal?.aborted || isAbortError(err.original)) return finish('abort', `aborted during ${err.phase}: ${err.message}`)
    runtimeErrors.push({ phase: err.phase, step: steps.length, message: err.message })
    return finish('runtime-error', `${err.phase} failed: ${err.message}`)
  }
}

function defaultFailureClass(stoppedBy: ControlStoppedBy, pass: boolean, reason: string): FailureClass {
  if (reason.includes('knowledge readiness blocked')) return 'knowledge_blocked'
  switch (stoppedBy) {
    case 'abort':
      return 'aborted'
    case 'budget':
      return 'budget_exceeded'
    case 'runtime-error':
      return 'runtime_error'
    default:
      return pass ? 'success' : 'validation_failed'
  }
}
