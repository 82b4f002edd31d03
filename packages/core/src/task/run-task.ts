import type { AgentRuntimeEvent } from '../contracts/events.js'
import type { KnowledgeAcquisitionPlan, KnowledgeQuestion, KnowledgeReadinessReport, KnowledgeUserAnswer } from '../contracts/knowledge.js'
import type { AgentTaskSpec, AgentTaskStatus } from '../contracts/task.js'
import { type Clock, isoNow, randomBase36, systemClock } from '../util/clock.js'
import {
  type ControlContext,
  type ControlDecision,
  type ControlEvalResult,
  type ControlRunResult,
  type ControlStopVerdict,
  runAgentControlLoop,
} from './control-loop.js'
import { type KnowledgeReadinessProvider, readinessPreflight } from './preflight.js'
import { blockingKnowledgeEval, decideKnowledgeReadiness } from './readiness.js'
import { type RunRecord, applyRunRecordDefaults } from './run-records.js'

/** What {@link runAgentTask} hands `onKnowledgeBlocked` and the other adapter hooks. @stable */
export interface AgentTaskHookContext<S, A, R> extends ControlContext<S, A, R> {
  task: AgentTaskSpec
  knowledge: KnowledgeReadinessReport
}

/**
 * The task-specific half of {@link runAgentTask}: how to observe, judge, choose and act.
 * Every hook receives one context object, so `validate({ state })` and
 * `act({ action })` destructure what they need.
 * @stable
 */
export interface AgentTaskAdapter<S, A, R> {
  observe(ctx: AgentTaskHookContext<S, A, R>): S | Promise<S>
  validate(input: { state: S } & AgentTaskHookContext<S, A, R>): ControlEvalResult[] | Promise<ControlEvalResult[]>
  decide(input: { state: S; evals: ControlEvalResult[] } & AgentTaskHookContext<S, A, R>): ControlDecision<A> | Promise<ControlDecision<A>>
  act(input: { action: A; state: S } & AgentTaskHookContext<S, A, R>): R | Promise<R>
  shouldStop?(input: { state: S; evals: ControlEvalResult[] } & AgentTaskHookContext<S, A, R>): ControlStopVerdict | Promise<ControlStopVerdict>
  /** Called instead of the default stop when the `knowledge-ready` eval fails. */
  onKnowledgeBlocked?(input: { state: S; evals: ControlEvalResult[] } & AgentTaskHookContext<S, A, R>): ControlDecision<A> | Promise<ControlDecision<A>>
  getActionCostUsd?(result: R, action: A): number | undefined
  /** Turns the finished run into run records; a default single record is made otherwise. */
  projectRunRecords?(result: AgentTaskResult<S, A, R>): RunRecord[] | Promise<RunRecord[]>
}

/** Options of {@link runAgentTask}. @stable */
export interface RunAgentTaskOptions<S, A, R> {
  task: AgentTaskSpec
  adapter: AgentTaskAdapter<S, A, R>
  knowledge?: KnowledgeReadinessProvider
  /** Receives every event; errors it throws are ignored (telemetry is best-effort). */
  onEvent?(event: AgentRuntimeEvent): unknown
  signal?: AbortSignal
  scenarioId?: string
  projectId?: string
  variantId?: string
  minimumReadinessScore?: number
  runId?: string
  now?: Clock
}

/** Result of {@link runAgentTask}. @stable */
export interface AgentTaskResult<S, A, R> {
  task: AgentTaskSpec
  status: AgentTaskStatus
  knowledge: KnowledgeReadinessReport
  questions: KnowledgeQuestion[]
  acquisitionPlans: KnowledgeAcquisitionPlan[]
  userAnswers: KnowledgeUserAnswer[]
  acquiredEvidenceIds: string[]
  control: ControlRunResult<S, A, R>
  runRecords: RunRecord[]
}

const KNOWLEDGE_BLOCKED = 'knowledge readiness blocked'

/**
 * Runs a task through readiness and then the observe → validate → decide → act
 * control loop, within the task's budget (`maxSteps`, `maxWallMs`, `maxCostUsd`).
 * A failed `knowledge-ready` eval stops the loop as `blocked` before any action.
 * @stable
 * @example
 * const res = await runAgentTask({ task, adapter: { observe, validate, decide, act } })
 * console.log(res.status, res.control.steps.length, res.runRecords[0])
 */
export async function runAgentTask<S, A, R>(options: RunAgentTaskOptions<S, A, R>): Promise<AgentTaskResult<S, A, R>> {
  const { task, adapter, signal } = options
  const now = options.now ?? systemClock
  const emit = async (event: AgentRuntimeEvent) => {
    try {
      await options.onEvent?.(event)
    } catch {
      // Telemetry is best-effort: a broken sink must not fail the task.
    }
  }
  const stamp = () => ({ timestamp: isoNow(now), task })

  await emit({ type: 'task_start', ...stamp() })
  await emit({ type: 'readiness_start', ...stamp() })
  const preflight = readinessPreflight(task, options.knowledge, { now, signal })
  let next = await preflight.next()
  while (!next.done) {
    await emit(next.value)
    next = await preflight.next()
  }
  const pre = next.value
  const knowledge = pre.knowledge
  const knowledgeEval = blockingKnowledgeEval(knowledge, { minimumScore: options.minimumReadinessScore })
  await emit({
    type: 'readiness_end',
    ...stamp(),
    knowledge,
    decision: decideKnowledgeReadiness(knowledge, { minimumScore: options.minimumReadinessScore }),
  })

  await emit({ type: 'control_start', ...stamp() })
  const hookCtx = (ctx: ControlContext<S, A, R>): AgentTaskHookContext<S, A, R> => ({ ...ctx, task, knowledge })
  const control = await runAgentControlLoop<S, A, R>({
    intent: task.intent,
    budget: task.budget,
    signal,
    now,
    runId: options.runId ?? null,
    observe: (ctx) => adapter.observe(hookCtx(ctx)),
    validate: async (state, ctx) => [knowledgeEval, ...(await adapter.validate({ ...hookCtx(ctx), state }))],
    decide: async (input) => {
      if (!knowledgeEval.passed) {
        if (adapter.onKnowledgeBlocked) return adapter.onKnowledgeBlocked({ ...input, ...hookCtx(input) })
        return { type: 'stop', reason: `${KNOWLEDGE_BLOCKED}: ${knowledgeEval.detail}`, pass: false, failureClass: 'knowledge_blocked' }
      }
      return adapter.decide({ ...input, ...hookCtx(input) })
    },
    act: (action, input) => adapter.act({ ...input, ...hookCtx(input), action }),
    // Without a custom rule the loop must not stop "satisfied" while knowledge blocks it.
    shouldStop: adapter.shouldStop
      ? (input) => adapter.shouldStop!({ ...input, ...hookCtx(input) })
      : (input) => knowledgeEval.passed && input.evals.every((e) => e.passed || e.severity === 'info' || e.severity === 'warning'),
    getActionCostUsd: adapter.getActionCostUsd ? (r, a) => adapter.getActionCostUsd!(r, a) : undefined,
    onStep: (step) =>
      emit({
        type: 'control_step',
        ...stamp(),
        stepIndex: step.index,
        decision: step.decision.type,
        reason: step.decision.reason,
        ok: step.actionOutcome?.ok,
        costUsd: step.actionOutcome?.costUsd,
      }),
  })
  await emit({ type: 'control_end', ...stamp(), pass: control.pass, reason: control.reason, steps: control.steps.length, stoppedBy: control.stoppedBy })

  const status: AgentTaskStatus =
    control.stoppedBy === 'abort' ? 'aborted' : control.reason.includes(KNOWLEDGE_BLOCKED) ? 'blocked' : control.pass ? 'completed' : 'failed'
  await emit({ type: 'task_end', ...stamp(), status, reason: control.reason })

  const result: AgentTaskResult<S, A, R> = { task, status, ...pre, control, runRecords: [] }
  const projected = adapter.projectRunRecords ? await adapter.projectRunRecords(result) : [defaultRunRecord(result, options)]
  result.runRecords = projected.map((r) =>
    applyRunRecordDefaults(r, { scenarioId: options.scenarioId ?? task.id, failureClass: control.failureClass }),
  )
  return result
}

function defaultRunRecord<S, A, R>(result: AgentTaskResult<S, A, R>, options: RunAgentTaskOptions<S, A, R>): RunRecord {
  const { control, status } = result
  const spent = control.spentCostUsd
  return {
    runId: control.runId ?? `${result.task.id}:${randomBase36(8)}`,
    ...(options.projectId ? { experimentId: options.projectId } : {}),
    ...(options.variantId ? { candidateId: options.variantId } : {}),
    model: 'unknown',
    wallMs: control.wallMs,
    costUsd: spent > 0 ? spent : null,
    costProvenance: spent > 0 ? { kind: 'observed', usd: spent } : { kind: 'uncaptured', usd: null },
    terminalOutcome: status === 'completed' ? 'succeeded' : status === 'aborted' ? 'cancelled' : status === 'blocked' ? 'incomplete' : 'failed',
    ...(control.score !== undefined ? { outcome: { raw: control.score } } : {}),
    ...(status === 'completed' ? {} : { error: control.reason }),
  }
}
