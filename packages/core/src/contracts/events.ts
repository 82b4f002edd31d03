import type { KnowledgeAcquisitionPlan, KnowledgeQuestion, KnowledgeReadinessDecision, KnowledgeReadinessReport, KnowledgeUserAnswer } from './knowledge.js'
import type { RuntimeSession } from './session.js'
import type { AgentTaskSpec, AgentTaskStatus } from './task.js'

/** Why a backend failed: `transport` (HTTP/network) or `backend` (anything else). @stable */
export interface BackendErrorDetail {
  kind: 'transport' | 'backend'
  message: string
  /** HTTP status; 0 means no response (connection failure or abort). */
  status?: number
  /** Upstream body, at most 2 KiB. */
  body?: string
}

/** Fields every stream event carries. @stable */
export interface RuntimeStreamEventBase {
  /** ISO timestamp. */
  timestamp: string
  task?: AgentTaskSpec
  session?: RuntimeSession
}

type E<T extends string, F = {}> = RuntimeStreamEventBase & { type: T } & F

/** One event of {@link runAgentTaskStream}, discriminated by `type`. @stable */
export type RuntimeStreamEvent =
  | E<'task_start'>
  | E<'readiness_start'>
  | E<'readiness_end', { knowledge: KnowledgeReadinessReport; decision: KnowledgeReadinessDecision }>
  | E<'questions_start', { questions: KnowledgeQuestion[] }>
  | E<'questions_end', { questions: KnowledgeQuestion[]; userAnswers: KnowledgeUserAnswer[] }>
  | E<'acquisition_start', { acquisitionPlans: KnowledgeAcquisitionPlan[] }>
  | E<'acquisition_end', { acquisitionPlans: KnowledgeAcquisitionPlan[]; acquiredEvidenceIds: string[] }>
  | E<'session_created', { session: RuntimeSession }>
  | E<'session_resumed', { session: RuntimeSession }>
  | E<'backend_start', { backend: string }>
  | E<'text_delta', { text: string }>
  | E<'reasoning_delta', { text: string }>
  | E<'tool_call', { toolName: string; toolCallId?: string; args?: unknown }>
  | E<'tool_result', { toolName: string; toolCallId?: string; result?: unknown }>
  | E<'llm_call', { model: string; tokensIn?: number; tokensOut?: number; costUsd?: number; latencyMs?: number; finishReason?: string; refusal?: boolean }>
  | E<'artifact', { artifactId: string; name?: string; mimeType?: string; uri?: string; content?: unknown; metadata?: Record<string, unknown> }>
  | E<'proposal_created', { proposalId: string; title: string; status?: string; content?: unknown }>
  | E<'backend_error', { backend: string; message: string; recoverable: boolean; error?: BackendErrorDetail }>
  | E<'backend_end', { backend?: string }>
  | E<'task_end', { status: AgentTaskStatus; reason: string }>
  | E<'final', { status: AgentTaskStatus; reason: string; text?: string; metadata?: Record<string, unknown>; error?: BackendErrorDetail }>

/** The `type` tags of {@link RuntimeStreamEvent}. @stable */
export type RuntimeStreamEventType = RuntimeStreamEvent['type']

/** Narrows {@link RuntimeStreamEvent} to one `type`. @stable */
export type RuntimeStreamEventOf<T extends RuntimeStreamEventType> = Extract<RuntimeStreamEvent, { type: T }>

/**
 * What a backend yields: any stream event, with `timestamp` (and task/session)
 * optional — the runner fills them in.
 * @stable
 */
export type BackendStreamEvent = RuntimeStreamEvent extends infer V
  ? V extends RuntimeStreamEvent
    ? Omit<V, 'timestamp'> & { timestamp?: string }
    : never
  : never

/** Events of the non-streaming {@link runAgentTask}: the stream events plus control-loop events. @stable */
export type AgentRuntimeEvent =
  | RuntimeStreamEvent
  | E<'control_start'>
  | E<'control_step', { stepIndex: number; decision: 'continue' | 'stop'; reason?: string; ok?: boolean; costUsd?: number }>
  | E<'control_end', { pass: boolean; reason: string; steps: number; stoppedBy: string }>
