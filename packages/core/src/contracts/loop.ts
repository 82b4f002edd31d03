import type { BudgetReport } from '../loop-ops/budget.js'
import type { SandboxBox, SandboxCreateOptions, SandboxEvent } from './sandbox.js'

/** Where an iteration ran, for traces. @experimental */
export interface LoopPlacement {
  kind: 'sibling' | 'fleet'
  sandboxId?: string
  fleetId?: string
  machineId?: string
}

/**
 * Where loop iterations get their sandboxes. A plain {@link SandboxClient}
 * satisfies it; executors add `describePlacement`.
 * @experimental
 */
export interface LoopSandboxClient {
  create(options?: SandboxCreateOptions, request?: { signal?: AbortSignal }): Promise<SandboxBox>
  describePlacement?(box: SandboxBox): LoopPlacement
  /** False for boxes the kernel must not delete (shared fleet machines). Defaults to true. */
  ownsBox?(box: SandboxBox): boolean
}

/** An agent profile as the kernel sees it: a name and a backend type hint. @experimental */
export interface LoopAgentProfile {
  name?: string
  metadata?: { backendType?: string; [key: string]: unknown }
  [key: string]: unknown
}

/** One harness configuration the loop can run an iteration on. @experimental */
export interface AgentRunSpec<Task = unknown> {
  profile: LoopAgentProfile
  taskToPrompt(task: Task): string
  name?: string
  /** Extra sandbox create options; may not replace `backend.profile`. A function gets the iteration's task. */
  sandboxOverrides?: SandboxCreateOptions | ((task: Task) => SandboxCreateOptions)
}

/** Turns an iteration's sandbox events into a typed output. @experimental */
export interface OutputAdapter<Output = unknown> {
  parse(events: SandboxEvent[], ctx?: { box?: SandboxBox; signal?: AbortSignal }): Output | Promise<Output>
}

/** Validator verdict. `score` is in [0, 1]. @experimental */
export interface DefaultVerdict {
  valid: boolean
  score: number
  scores?: Record<string, number>
  notes?: string
}

/** What a validator is told about the iteration it scores. @experimental */
export interface ValidateContext {
  iteration: number
  signal?: AbortSignal
  traceEmitter?: LoopTraceEmitter
  /** The iteration's sandbox, still alive, so checks can `exec` inside it. */
  box?: SandboxBox
}

/** Scores an output (the checker of maker/checker). @experimental */
export interface Validator<Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> {
  validate(output: Output, ctx: ValidateContext): Verdict | Promise<Verdict>
}

/** Token totals. @experimental */
export interface TokenUsage {
  input: number
  output: number
}

/** One executed iteration of a loop. @experimental */
export interface Iteration<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> {
  index: number
  roundIndex: number
  task: Task
  agentRunName: string
  parentIndex?: number
  output?: Output
  verdict?: Verdict
  error?: string
  events: SandboxEvent[]
  /** Epoch ms. */
  startedAt: number
  endedAt: number
  costUsd: number
  tokenUsage: TokenUsage
  placement?: LoopPlacement
}

/** The move kind a driver declares for a round. @experimental */
export type LoopMoveKind = 'refine' | 'fanout' | 'stop' | 'select' | (string & {})

/** What a driver says about the plan it just made. @experimental */
export interface PlanDescription {
  kind: LoopMoveKind
  rationale?: string
  parentIndex?: number
}

/** Decisions that end a loop. @experimental */
export const TERMINAL_LOOP_DECISIONS = ['stop', 'pick-winner', 'fail', 'done'] as const

/** A loop topology: what to run next, and when to stop. @experimental */
export interface Driver<Task = unknown, Output = unknown, Decision = string, Verdict extends DefaultVerdict = DefaultVerdict> {
  name?: string
  /** `ctx.signal` is the loop's abort signal, for drivers that call out (planners). */
  plan(task: Task, history: readonly Iteration<Task, Output, Verdict>[], ctx?: { signal?: AbortSignal }): Task[] | Promise<Task[]>
  decide(history: readonly Iteration<Task, Output, Verdict>[]): Decision | Promise<Decision>
  describePlan?(): PlanDescription | undefined
  /**
   * The driver's own winner rule (fan-out-vote's selector, the dynamic
   * driver's `select` move). `runLoop` uses it unless the caller passes one.
   * Returns the chosen iteration (only its `index` is read), or undefined for none.
   */
  selectWinner?(
    history: readonly Iteration<Task, Output, Verdict>[],
  ): { readonly index: number } | undefined | Promise<{ readonly index: number } | undefined>
}

/** Kinds of loop trace events. @experimental */
export type LoopTraceEventKind =
  | 'loop.started'
  | 'loop.plan'
  | 'loop.iteration.started'
  | 'loop.iteration.dispatch'
  | 'loop.iteration.ended'
  | 'loop.decision'
  | 'loop.ended'
  | 'loop.teardown.failed'

/** Payload of `loop.started`. @experimental */
export interface LoopStartedPayload {
  driver: string
  agentRunNames: string[]
  maxIterations: number
  maxConcurrency: number
  /** The trace the caller asked the loop to join (`ctx.traceId`), for trace sinks. */
  traceId?: string
  /** The span the loop's root span should hang under (`ctx.parentSpanId`). */
  parentSpanId?: string
}

/** Payload of `loop.plan`. @experimental */
export interface LoopPlanPayload {
  roundIndex: number
  plannedCount: number
  moveKind: LoopMoveKind
  rationale?: string
  parentIndex?: number
  childIndices: number[]
}

/** Payload of `loop.iteration.started`. @experimental */
export interface LoopIterationStartedPayload {
  iterationIndex: number
  roundIndex: number
  agentRunName: string
  taskHash: string
  groupId: string
  parentIndex?: number
}

/** Payload of `loop.iteration.dispatch`. @experimental */
export interface LoopIterationDispatchPayload {
  iterationIndex: number
  placement: LoopPlacement['kind']
  sandboxId?: string
  fleetId?: string
  machineId?: string
}

/** Payload of `loop.iteration.ended`. @experimental */
export interface LoopIterationEndedPayload {
  iterationIndex: number
  roundIndex: number
  agentRunName: string
  outputHash?: string
  verdict?: DefaultVerdict
  error?: string
  costUsd: number
  durationMs: number
  tokenUsage?: TokenUsage
  groupId: string
  parentIndex?: number
  outputPreview?: string
}

/** Payload of `loop.decision`; `decision` is a string, or JSON for object decisions. @experimental */
export interface LoopDecisionPayload {
  roundIndex: number
  decision: string
  historyLength: number
}

/** Payload of `loop.ended`. @experimental */
export interface LoopEndedPayload {
  winnerIterationIndex?: number
  totalCostUsd: number
  durationMs: number
  iterations: number
  decision?: string
}

/** Payload of `loop.teardown.failed`. @experimental */
export interface LoopTeardownFailedPayload {
  iterationIndex?: number
  sandboxId?: string
  reason: string
}

/** Payload type for each loop trace event kind. @experimental */
export interface LoopTracePayloads {
  'loop.started': LoopStartedPayload
  'loop.plan': LoopPlanPayload
  'loop.iteration.started': LoopIterationStartedPayload
  'loop.iteration.dispatch': LoopIterationDispatchPayload
  'loop.iteration.ended': LoopIterationEndedPayload
  'loop.decision': LoopDecisionPayload
  'loop.ended': LoopEndedPayload
  'loop.teardown.failed': LoopTeardownFailedPayload
}

/** A structured loop trace event; `timestamp` is epoch ms. @experimental */
export type LoopTraceEvent = {
  [K in LoopTraceEventKind]: { kind: K; runId: string; timestamp: number; payload: LoopTracePayloads[K] }
}[LoopTraceEventKind]

/** Receives loop trace events. Errors thrown here never break a loop. @experimental */
export interface LoopTraceEmitter {
  emit(event: LoopTraceEvent): void | Promise<void>
}

/** Receives cost events from loop iterations (a runtime run handle fits). @experimental */
export interface LoopRunHandle {
  observe(event: { type: 'llm_call'; model: string; tokensIn?: number; tokensOut?: number; costUsd?: number; timestamp?: string }): void
}

/** Execution context of a loop. @experimental */
export interface LoopExecCtx {
  sandboxClient: LoopSandboxClient
  traceEmitter?: LoopTraceEmitter
  runHandle?: LoopRunHandle
  signal?: AbortSignal
  traceId?: string
  parentSpanId?: string
}

/** The winning iteration of a loop. @experimental */
export interface LoopWinner<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> {
  task: Task
  output: Output
  verdict?: Verdict
  iterationIndex: number
  agentRunName: string
}

/** What {@link runLoop} returns. @experimental */
export interface LoopResult<Task = unknown, Output = unknown, Decision = string, Verdict extends DefaultVerdict = DefaultVerdict> {
  runId: string
  decision: Decision
  iterations: Iteration<Task, Output, Verdict>[]
  winner?: LoopWinner<Task, Output, Verdict>
  durationMs: number
  costUsd: number
  tokenUsage: TokenUsage
  /** Set when `budget` stopped the run (decision `budget-exceeded`): the cap, the budget and what was spent. */
  budget?: BudgetReport
}
