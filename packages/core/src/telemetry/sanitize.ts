import type { AgentRuntimeEvent, BackendErrorDetail, RuntimeStreamEvent } from '../contracts/events.js'
import type { KnowledgeAcquisitionPlan, KnowledgeQuestion, KnowledgeReadinessReport, KnowledgeRequirement, KnowledgeUserAnswer } from '../contracts/knowledge.js'
import type { RuntimeSession } from '../contracts/session.js'
import type { AgentTaskSpec } from '../contracts/task.js'

/**
 * What telemetry may include. Everything is off by default: the default output
 * carries ids, kinds, statuses, counts and lengths, never user text.
 * @stable
 */
export interface RuntimeTelemetryOptions {
  /** Raw task inputs. */
  includeInputs?: boolean
  /** Requirement descriptions and question texts (never for secret requirements). */
  includeRequirementDescriptions?: boolean
  /** Evidence ids and artifact URIs. */
  includeEvidenceIds?: boolean
  /** Users' answers to readiness questions. */
  includeUserAnswers?: boolean
  /** Text deltas, final text, tool args and results, artifact and proposal content, upstream error bodies. */
  includeControlPayloads?: boolean
  /** Task, session, artifact and final metadata. */
  includeMetadata?: boolean
}

/** A sanitized event: plain JSON, safe to log or ship by default. @stable */
export interface SanitizedRuntimeEvent {
  type: string
  timestamp?: string
  [field: string]: unknown
}

/** A sanitized {@link KnowledgeReadinessReport}. @stable */
export interface SanitizedKnowledgeReadinessReport {
  taskId: string
  readinessScore: number
  recommendedAction: KnowledgeReadinessReport['recommendedAction']
  severity: KnowledgeReadinessReport['severity']
  reason: string
  blockingMissingRequirements: Record<string, unknown>[]
  nonBlockingGaps: Record<string, unknown>[]
  missingRequirementIds: string[]
}

/** Marker put where a value was removed. @stable */
export const REDACTED = '[redacted]'

const redactIfSet = (value: unknown, include: boolean | undefined) => (include ? value : value === undefined ? undefined : REDACTED)

function sanitizeRequirement(r: KnowledgeRequirement, o: RuntimeTelemetryOptions): Record<string, unknown> {
  return {
    id: r.id,
    description: o.includeRequirementDescriptions && r.sensitivity !== 'secret' ? r.description : undefined,
    requiredFor: r.requiredFor,
    category: r.category,
    acquisitionMode: r.acquisitionMode,
    importance: r.importance,
    freshness: r.freshness,
    sensitivity: r.sensitivity,
    confidenceNeeded: r.confidenceNeeded,
    currentConfidence: r.currentConfidence,
    evidenceCount: r.evidenceIds.length,
    evidenceIds: o.includeEvidenceIds ? r.evidenceIds : undefined,
    fallbackPolicy: r.fallbackPolicy,
  }
}

/**
 * Strips a readiness report to what is safe to log: scores, ids and counts;
 * descriptions and evidence ids only on request.
 * @stable
 * @example
 * logger.info(sanitizeKnowledgeReadinessReport(report))
 */
export function sanitizeKnowledgeReadinessReport(report: KnowledgeReadinessReport, options: RuntimeTelemetryOptions = {}): SanitizedKnowledgeReadinessReport {
  return {
    taskId: report.taskId,
    readinessScore: report.readinessScore,
    recommendedAction: report.recommendedAction,
    severity: report.severity,
    reason: report.reason,
    blockingMissingRequirements: report.blockingMissingRequirements.map((r) => sanitizeRequirement(r, options)),
    nonBlockingGaps: report.nonBlockingGaps.map((r) => sanitizeRequirement(r, options)),
    missingRequirementIds: [...report.blockingMissingRequirements, ...report.nonBlockingGaps].map((r) => r.id),
  }
}

function sanitizeTask(task: AgentTaskSpec, o: RuntimeTelemetryOptions): Record<string, unknown> {
  return {
    id: task.id,
    intent: task.intent,
    domain: task.domain,
    inputs: redactIfSet(task.inputs, o.includeInputs),
    requiredKnowledge: task.requiredKnowledge?.map((r) => sanitizeRequirement(r, o)),
    budget: task.budget,
    metadata: redactIfSet(task.metadata, o.includeMetadata),
  }
}

function sanitizeSession(s: RuntimeSession, o: RuntimeTelemetryOptions): Record<string, unknown> {
  return {
    id: s.id,
    backend: s.backend,
    status: s.status,
    hasResumeToken: Boolean(s.resumeToken),
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    metadata: redactIfSet(s.metadata, o.includeMetadata),
  }
}

function sanitizeQuestion(q: KnowledgeQuestion, o: RuntimeTelemetryOptions): Record<string, unknown> {
  return { id: q.id, requirementId: q.requirementId, question: o.includeRequirementDescriptions && q.sensitivity !== 'secret' ? q.question : undefined }
}

function sanitizeAnswer(a: KnowledgeUserAnswer, o: RuntimeTelemetryOptions): Record<string, unknown> {
  return { questionId: a.questionId, answer: o.includeUserAnswers ? a.answer : REDACTED, answerLength: a.answer.length }
}

function sanitizePlan(p: KnowledgeAcquisitionPlan, o: RuntimeTelemetryOptions): Record<string, unknown> {
  return {
    id: p.id,
    requirementId: p.requirementId,
    mode: p.mode,
    description: o.includeRequirementDescriptions && p.sensitivity !== 'secret' ? p.description : undefined,
  }
}

function sanitizeErrorDetail(e: BackendErrorDetail | undefined, o: RuntimeTelemetryOptions): Record<string, unknown> | undefined {
  if (!e) return undefined
  return compact({
    kind: e.kind,
    message: e.message,
    status: e.status,
    body: o.includeControlPayloads ? e.body : undefined,
    bodyLength: e.body?.length,
  })
}

/** Removes `undefined` members so the output is compact, stable JSON. */
function compact(record: Record<string, unknown>): SanitizedRuntimeEvent {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = v
  return out as SanitizedRuntimeEvent
}

/**
 * Sanitizes one {@link RuntimeStreamEvent} for logs, SSE or traces. By default
 * no user text survives: text deltas and final text become lengths, tool args
 * and results and error bodies are dropped (unless `includeControlPayloads`).
 * @stable
 * @example
 * for await (const e of runAgentTaskStream(opts)) log(sanitizeRuntimeStreamEvent(e))
 */
export function sanitizeRuntimeStreamEvent(event: RuntimeStreamEvent, options: RuntimeTelemetryOptions = {}): SanitizedRuntimeEvent {
  const o = options
  const base = {
    type: event.type,
    timestamp: event.timestamp,
    task: event.task ? sanitizeTask(event.task, o) : undefined,
    session: event.session ? sanitizeSession(event.session, o) : undefined,
  }
  const payload = o.includeControlPayloads === true
  switch (event.type) {
    case 'readiness_end':
      return compact({ ...base, decision: event.decision, knowledge: sanitizeKnowledgeReadinessReport(event.knowledge, o) })
    case 'questions_start':
      return compact({ ...base, questions: event.questions.map((q) => sanitizeQuestion(q, o)) })
    case 'questions_end':
      return compact({ ...base, questions: event.questions.map((q) => sanitizeQuestion(q, o)), userAnswers: event.userAnswers.map((a) => sanitizeAnswer(a, o)) })
    case 'acquisition_start':
      return compact({ ...base, acquisitionPlans: event.acquisitionPlans.map((p) => sanitizePlan(p, o)) })
    case 'acquisition_end':
      return compact({
        ...base,
        acquisitionPlans: event.acquisitionPlans.map((p) => sanitizePlan(p, o)),
        acquiredEvidenceCount: event.acquiredEvidenceIds.length,
        acquiredEvidenceIds: o.includeEvidenceIds ? event.acquiredEvidenceIds : undefined,
      })
    case 'session_created':
    case 'session_resumed':
      return compact({ ...base, session: sanitizeSession(event.session, o) })
    case 'backend_start':
    case 'backend_end':
      return compact({ ...base, backend: event.backend })
    case 'text_delta':
    case 'reasoning_delta':
      return compact({ ...base, textLength: event.text.length, text: payload ? event.text : undefined })
    case 'tool_call':
      return compact({ ...base, toolName: event.toolName, toolCallId: event.toolCallId, hasArgs: event.args !== undefined, args: payload ? event.args : undefined })
    case 'tool_result':
      return compact({
        ...base,
        toolName: event.toolName,
        toolCallId: event.toolCallId,
        hasResult: event.result !== undefined,
        result: payload ? event.result : undefined,
      })
    case 'llm_call':
      return compact({
        ...base,
        model: event.model,
        tokensIn: event.tokensIn,
        tokensOut: event.tokensOut,
        costUsd: event.costUsd,
        latencyMs: event.latencyMs,
        finishReason: event.finishReason,
      })
    case 'artifact':
      return compact({
        ...base,
        artifactId: event.artifactId,
        name: event.name,
        mimeType: event.mimeType,
        uri: o.includeEvidenceIds ? event.uri : undefined,
        content: payload ? event.content : undefined,
        metadata: o.includeMetadata ? event.metadata : undefined,
      })
    case 'proposal_created':
      return compact({ ...base, proposalId: event.proposalId, status: event.status, title: payload ? event.title : undefined, content: payload ? event.content : undefined })
    case 'backend_error':
      return compact({ ...base, backend: event.backend, message: event.message, recoverable: event.recoverable, error: sanitizeErrorDetail(event.error, o) })
    case 'task_end':
      return compact({ ...base, status: event.status, reason: event.reason })
    case 'final':
      return compact({
        ...base,
        status: event.status,
        reason: event.reason,
        textLength: event.text?.length,
        text: payload ? event.text : undefined,
        metadata: o.includeMetadata ? event.metadata : undefined,
        error: sanitizeErrorDetail(event.error, o),
      })
    default:
      // task_start, readiness_start and any future event: only the envelope.
      return compact(base)
  }
}

/**
 * Sanitizes a {@link runAgentTask} event: the stream events plus
 * `control_start`, `control_step` and `control_end` (counts, verdicts, reasons).
 * @stable
 * @example
 * await runAgentTask({ task, adapter, onEvent: (e) => log(sanitizeAgentRuntimeEvent(e)) })
 */
export function sanitizeAgentRuntimeEvent(event: AgentRuntimeEvent, options: RuntimeTelemetryOptions = {}): SanitizedRuntimeEvent {
  if (event.type === 'control_start' || event.type === 'control_step' || event.type === 'control_end') {
    const base = { type: event.type, timestamp: event.timestamp, task: event.task ? sanitizeTask(event.task, options) : undefined }
    if (event.type === 'control_step') {
      return compact({ ...base, stepIndex: event.stepIndex, decision: event.decision, reason: event.reason, ok: event.ok, costUsd: event.costUsd })
    }
    if (event.type === 'control_end') {
      return compact({ ...base, pass: event.pass, reason: event.reason, steps: event.steps, stoppedBy: event.stoppedBy })
    }
    return compact(base)
  }
  return sanitizeRuntimeStreamEvent(event, options)
}
