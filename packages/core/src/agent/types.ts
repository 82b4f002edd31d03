import type { AgentExecutionBackend } from '../contracts/backend.js'
import type { AgentSurfaces, AgentSurfaceName } from './surfaces.js'

/** Which layer of the runtime an agent trace event comes from. @experimental */
export type AgentTraceKind = 'task' | 'chat' | 'loop'

/** One event an agent run emits: a task, chat or loop event with an opaque payload. @experimental */
export interface AgentEvent {
  kind: AgentTraceKind
  /** Event type within its kind, e.g. `tool_call`, `llm_call`, `backend_error`, `loop.iteration.end`. */
  type: string
  payload?: Record<string, unknown>
}

/** Out-of-band event sink handed to `runtime.act` (for events not on the returned stream, e.g. nested loops). @experimental */
export interface AgentEventEmitter {
  emit(event: AgentEvent): void
}

/** What `runtime.act` is told about the run it serves. @experimental */
export interface AgentActContext {
  emitter: AgentEventEmitter
  runId: string
  variantId?: string
  /** Epoch-ms deadline the run should finish by. */
  deadlineMs?: number
  signal?: AbortSignal
}

/** A started agent run: its event stream and its eventual output. @experimental */
export interface AgentRunHandle<Output = unknown> {
  events: AsyncIterable<AgentEvent>
  output: Promise<Output>
}

/** A persona the agent is exercised with; `id` keys traces and scores. @experimental */
export interface AgentPersona {
  id: string
  [key: string]: unknown
}

/** Runs the agent once for a persona. @experimental */
export type AgentAct<Persona extends AgentPersona = AgentPersona, Output = unknown> = (
  persona: Persona,
  ctx: AgentActContext,
) => AgentRunHandle<Output>

/** One scored rubric dimension; `score` returns a value in [0, 1]. @experimental */
export interface RubricDimension<Persona extends AgentPersona = AgentPersona, Output = unknown> {
  id: string
  weight: number
  label?: string
  score(input: { persona: Persona; output: Output }): number | Promise<number>
}

/** The agent's rubric. `judges` are opaque to the runtime (agent-eval judges). @experimental */
export interface AgentRubric<Persona extends AgentPersona = AgentPersona, Output = unknown> {
  dimensions: RubricDimension<Persona, Output>[]
  judges?: unknown[]
}

/** Which model the analyst loop uses for this agent, and what it may spend. @experimental */
export interface AgentAnalystConfig {
  model: string
  budgetUsd?: number
  backend?: AgentExecutionBackend
}

/** The declarative manifest given to {@link defineAgent}. @experimental */
export interface AgentManifest<Persona extends AgentPersona = AgentPersona, Output = unknown> {
  id: string
  /** Root of the agent's repository; relative surface paths resolve against it. */
  repoRoot: string
  surfaces: AgentSurfaces
  rubric: AgentRubric<Persona, Output>
  runtime: { act: AgentAct<Persona, Output> }
  personas(): Persona[] | Promise<Persona[]>
  /** Analyst ids (or kinds) the analyst loop runs for this agent. */
  analystKinds: string[]
  analyst: AgentAnalystConfig
}

/** A validated manifest plus each surface's absolute path. @experimental */
export interface AgentDefinition<Persona extends AgentPersona = AgentPersona, Output = unknown> extends AgentManifest<Persona, Output> {
  readonly surfacePaths: Readonly<Partial<Record<AgentSurfaceName, string>>>
}
