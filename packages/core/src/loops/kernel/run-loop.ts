import {
  type DefaultVerdict,
  type Iteration,
  type LoopResult,
  type LoopWinner,
  TERMINAL_LOOP_DECISIONS,
  type TokenUsage,
} from '../../contracts/loop.js'
import { createAbortError, ValidationError } from '../../errors.js'
import type { BreakerReservation } from '../../loop-ops/breaker.js'
import { BUDGET_EXCEEDED, type BudgetReport, createBudgetMeter } from '../../loop-ops/budget.js'
import { randomBase36, systemClock } from '../../util/clock.js'
import { createAbortGate, runIteration } from './iteration.js'
import { type RunLoopOptions, resolveRunLoopOptions } from './options.js'
import { createLoopTracer, renderDecision } from './trace.js'
import { describeLoopFailure } from './failure-reason.js'
import { defaultSelectWinner, inferBranchPoint } from './winner.js'

const TERMINAL = new Set<string>(TERMINAL_LOOP_DECISIONS)

/**
 * True when a driver decision ends the loop: one of `stop`, `pick-winner`,
 * `fail`, `done`, or an object whose `kind`, `type` or `decision` is one of them.
 * @experimental
 * @example
 * isTerminalDecision('pick-winner') // true
 */
export function isTerminalDecision(decision: unknown): boolean {
  if (typeof decision === 'string') return TERMINAL.has(decision)
  if (decision && typeof decision === 'object') {
    const d = decision as Record<string, unknown>
    return [d.kind, d.type, d.decision].some((v) => typeof v === 'string' && TERMINAL.has(v))
  }
  return false
}

/** Runs `count` jobs with at most `limit` at once; stops starting new ones once `signal` aborts or `halted()` says so. */
async function runBounded<T>(
  count: number,
  limit: number,
  signal: AbortSignal | undefined,
  job: (i: number) => Promise<T>,
  halted: () => boolean = () => false,
): Promise<(T | undefined)[]> {
  const results: (T | undefined)[] = new Array(count).fill(undefined)
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < count && !signal?.aborted && !halted()) {
      const i = next++
      results[i] = await job(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane))
  return results
}

/** Forwards an abort of `from` to `to`; returns the unlink. */
function linkAbort(from: AbortSignal | undefined, to: AbortController | undefined): () => void {
  if (!from || !to) return () => undefined
  if (from.aborted) {
    to.abort(from.reason)
    return () => undefined
  }
  const forward = () => to.abort(from.reason)
  from.addEventListener('abort', forward, { once: true })
  return () => from.removeEventListener('abort', forward)
}

/**
 * Runs an agent loop: each round the driver plans tasks, the kernel runs them
 * as iterations (one sandbox each, at most `maxConcurrency` at a time, capped at
 * `maxIterations` overall), validates every output, then asks the driver to
 * decide. Emits `loop.*` trace events to `ctx.traceEmitter`.
 *
 * A worker failure is recorded on its iteration and never ends the loop. An abort
 * of `ctx.signal` dispatches nothing more, cancels in-flight iterations, deletes
 * every box and rejects with an `AbortError` (after `loop.ended` with decision `aborted`).
 * Driver errors (`plan`/`decide` throwing) reject the loop (fail-loud).
 * @experimental
 * @example
 * const result = await runLoop({
 *   driver: createRefineDriver({ maxIterations: 3 }),
 *   agentRun: { profile: { name: 'coder' }, taskToPrompt: (t: string) => t },
 *   output: { parse: (events) => events.length },
 *   validator: { validate: (n) => ({ valid: n > 0, score: 1 }) },
 *   task: 'fix the failing test',
 *   ctx: { sandboxClient },
 * })
 */
export async function runLoop<Task, Output, Decision = string, Verdict extends DefaultVerdict = DefaultVerdict>(
  options: RunLoopOptions<Task, Output, Decision, Verdict>,
): Promise<LoopResult<Task, Output, Decision, Verdict>> {
  const resolved = resolveRunLoopOptions(options)
  const { driver, ctx, task } = options
  const now = options.now ?? systemClock
  const runId = options.runId ?? `loop-${randomBase36(8)}`
  const callerSignal = ctx.signal
  // A budget gets its own controller (linked to the caller's) so crossing a cap can abort the iterations in flight.
  const breaker = options.breaker
  const budgetControl = options.budget || breaker ? new AbortController() : undefined
  const unlink = linkAbort(callerSignal, budgetControl)
  const signal = budgetControl?.signal ?? callerSignal
  const iterationCtx = budgetControl ? { ...ctx, signal } : ctx
  const meter = options.budget ? createBudgetMeter(options.budget, now) : undefined
  let budgetStop: BudgetReport | undefined
  const stopForBudget = (limit: BudgetReport['limit'] | undefined, reason: BudgetReport['reason']): boolean => {
    if (!meter || !limit) return false
    if (!budgetStop) budgetStop = meter.report(limit, reason)
    if (reason === 'crossed' && !budgetControl!.signal.aborted) budgetControl!.abort(createAbortError(`budget exceeded: ${limit}`))
    return true
  }
  // Ledger writes of the breaker run beside the iterations; the run waits for them before it ends.
  const ledgerWrites: Promise<unknown>[] = []
  const stopForBreaker = (status: { halt?: string; reason?: string }): void => {
    if (budgetStop) return
    const { costUsd, tokenUsage } = totals()
    budgetStop = {
      limit: status.halt === 'kill-switch' ? 'kill-switch' : 'daily-cap',
      reason: 'crossed',
      budget: { ...options.budget },
      spent: { costUsd, tokens: tokenUsage.input + tokenUsage.output, wallMs: now() - startedAt },
      ...(status.reason ? { detail: status.reason } : {}),
    }
    if (!budgetControl!.signal.aborted) budgetControl!.abort(createAbortError(`budget breaker: ${status.reason ?? status.halt}`))
  }
  const wallMs = meter?.wallRemainingMs()
  // The wall cap also fires while every iteration is waiting; the clock decides whether it really passed.
  const wallTimer = wallMs === undefined ? undefined : setTimeout(() => stopForBudget(meter!.crossed(), 'crossed'), wallMs)
  const tracer = createLoopTracer(runId, ctx.traceEmitter, now)
  const { maxIterations, maxConcurrency, agentRuns, agentRunNames } = resolved
  const startedAt = now()
  const history: Iteration<Task, Output, Verdict>[] = []

  const totals = (): { costUsd: number; tokenUsage: TokenUsage } => {
    let costUsd = 0
    const tokenUsage = { input: 0, output: 0 }
    for (const it of history) {
      costUsd += it.costUsd
      tokenUsage.input += it.tokenUsage.input
      tokenUsage.output += it.tokenUsage.output
    }
    return { costUsd, tokenUsage }
  }
  const throwIfAborted = (): void => {
    if (callerSignal?.aborted) throw createAbortError('aborted', callerSignal.reason)
  }

  await tracer.emit('loop.started', {
    driver: driver.name ?? 'driver',
    agentRunNames: [...agentRunNames],
    maxIterations,
    maxConcurrency,
    ...(ctx.traceId ? { traceId: ctx.traceId } : {}),
    ...(ctx.parentSpanId ? { parentSpanId: ctx.parentSpanId } : {}),
  })

  let roundIndex = 0
  let decision: Decision
  const abortGate = createAbortGate(signal)
  try {
    for (;;) {
      throwIfAborted()
      if (budgetStop || stopForBudget(meter?.crossed(), 'crossed') || stopForBudget(meter?.cannotCover(), 'insufficient')) return await finalize(BUDGET_EXCEEDED as Decision)
      const remaining = maxIterations - history.length
      if (remaining <= 0) {
        // The cap ends the loop without asking the driver; the stop still gets its plan event.
        await tracer.emit('loop.plan', {
          roundIndex,
          plannedCount: 0,
          moveKind: 'stop',
          rationale: `maxIterations (${maxIterations}) reached`,
          parentIndex: inferBranchPoint(history),
          childIndices: [],
        })
        break
      }
      const planned = await driver.plan(task, history, signal ? { signal } : {})
      if (!Array.isArray(planned)) throw new ValidationError(`runLoop: driver ${driver.name ?? '(unnamed)'} plan() must return an array of tasks, got ${typeof planned}`)
      const described = driver.describePlan?.()
      throwIfAborted()
      if (planned.length > remaining && described?.exact) {
        // A plan that only makes sense whole (a fan-out vote of n above maxIterations) is a configuration mistake: say so.
        throw new ValidationError(
          `runLoop: driver ${driver.name ?? '(unnamed)'} planned ${planned.length} iterations in round ${roundIndex}, more than the ${remaining} left of maxIterations (${maxIterations}); ` +
            `raise maxIterations to at least ${history.length + planned.length} or plan fewer (e.g. createFanoutVoteDriver({ n: ${remaining} })).`,
        )
      }
      const tasks = planned.slice(0, remaining)
      // Other plans are trimmed to the iterations left; the plan event's rationale records the cut.
      const trimmed = planned.length > tasks.length ? `[trimmed ${planned.length}→${tasks.length} by maxIterations ${maxIterations}]` : undefined
      const base = history.length
      const parentIndex = described?.parentIndex ?? (roundIndex === 0 ? undefined : inferBranchPoint(history))
      const moveKind = described?.kind ?? (tasks.length === 0 ? 'stop' : tasks.length === 1 ? 'refine' : 'fanout')
      await tracer.emit('loop.plan', {
        roundIndex,
        plannedCount: tasks.length,
        moveKind,
        rationale: trimmed ? [described?.rationale, trimmed].filter(Boolean).join(' ') : described?.rationale,
        parentIndex,
        childIndices: tasks.map((_, i) => base + i),
      })
      if (tasks.length === 0) break
      throwIfAborted()
      const groupId = `${runId}/round-${roundIndex}`
      const round = roundIndex
      const ran = await runBounded(tasks.length, maxConcurrency, signal, async (i) => {
        const index = base + i
        const specIndex = index % agentRuns.length
        if (meter && (budgetStop || stopForBudget(meter.crossed(), 'crossed') || stopForBudget(meter.cannotCover(), 'insufficient'))) return undefined
        // Each iteration holds its own reservation, so processes racing on one ledger overspend by at most one iteration.
        let held: BreakerReservation | undefined
        if (breaker) {
          if (breaker.reserve) held = await breaker.reserve()
          const status = held ? held.status : await breaker.guard()
          if (!status.ok) stopForBreaker(status)
          if (budgetStop) {
            await held?.settle()
            return undefined
          }
        }
        // record() counts usage the moment it is called, so settling right after the iteration returns exactly the unused part.
        const iteration = await runIteration<Task, Output, Verdict>({
          index,
          roundIndex: round,
          groupId,
          parentIndex,
          task: tasks[i],
          spec: agentRuns[specIndex],
          agentRunName: agentRunNames[specIndex],
          output: options.output,
          validator: options.validator,
          ctx: iterationCtx,
          tracer,
          now,
          abortGate,
          ...(meter || breaker
            ? {
                onUsage: (amount: { tokens: number; costUsd: number }) => {
                  if (breaker) ledgerWrites.push(Promise.resolve(held ? held.record(amount) : breaker.record(amount)).catch(() => undefined))
                  if (!meter) return
                  meter.add(index, amount)
                  stopForBudget(meter.crossed(), 'crossed')
                },
              }
            : {}),
        }).finally(() => held?.settle().catch(() => undefined))
        meter?.finish(index)
        return iteration
      }, () => budgetStop !== undefined)
      for (const it of ran) if (it) history.push(it)
      await Promise.all(ledgerWrites.splice(0))
      throwIfAborted()
      if (budgetStop || stopForBudget(meter?.crossed(), 'crossed')) return await finalize(BUDGET_EXCEEDED as Decision)
      decision = await driver.decide(history)
      await tracer.emit('loop.decision', { roundIndex, decision: renderDecision(decision), historyLength: history.length })
      if (isTerminalDecision(decision)) return await finalize(decision)
      roundIndex++
    }
    // Cap reached or empty plan: one last decision, and the loop ends whatever it says.
    decision = await driver.decide(history)
    await tracer.emit('loop.decision', { roundIndex, decision: renderDecision(decision), historyLength: history.length })
    return await finalize(decision)
  } catch (err) {
    await Promise.all(ledgerWrites.splice(0))
    const { costUsd } = totals()
    tracer.emitDetached('loop.ended', {
      totalCostUsd: costUsd,
      durationMs: now() - startedAt,
      iterations: history.length,
      decision: callerSignal?.aborted ? 'aborted' : 'failed',
    })
    throw err
  } finally {
    abortGate?.dispose()
    if (wallTimer !== undefined) clearTimeout(wallTimer)
    unlink()
  }

  async function finalize(final: Decision): Promise<LoopResult<Task, Output, Decision, Verdict>> {
    // Precedence: the caller's rule, then the driver's own (its vote or `select` move), then the default.
    let picked: Iteration<Task, Output, Verdict> | undefined
    if (options.selectWinner) picked = await options.selectWinner(history)
    else if (driver.selectWinner) {
      const chosen = await driver.selectWinner(history)
      picked = chosen === undefined ? undefined : history.find((it) => it.index === chosen.index)
    } else picked = defaultSelectWinner(history)
    let winner: LoopWinner<Task, Output, Verdict> | undefined
    if (picked && picked.output !== undefined) {
      winner = { task: picked.task, output: picked.output, iterationIndex: picked.index, agentRunName: picked.agentRunName }
      if (picked.verdict !== undefined) winner.verdict = picked.verdict
    }
    const { costUsd, tokenUsage } = totals()
    const durationMs = now() - startedAt
    tracer.emitDetached('loop.ended', {
      winnerIterationIndex: winner?.iterationIndex,
      totalCostUsd: costUsd,
      durationMs,
      iterations: history.length,
      decision: renderDecision(final),
    })
    const failureReason = describeLoopFailure(history, winner !== undefined)
    const result: LoopResult<Task, Output, Decision, Verdict> = { runId, decision: final, iterations: history, winner, ...(failureReason ? { failureReason } : {}), durationMs, costUsd, tokenUsage }
    if (budgetStop) result.budget = { ...budgetStop, spent: { costUsd, tokens: tokenUsage.input + tokenUsage.output, wallMs: durationMs } }
    return result
  }
}
