/**
 * Knowledge-readiness types: our own structural copy of agent-eval's shapes,
 * so a task can say what it must know before an agent acts on it.
 */

/** What a requirement is about. @stable */
export type KnowledgeCategory =
  | 'codebase_specific'
  | 'domain_general'
  | 'regulatory'
  | 'user_preference'
  | 'organizational'
  | 'market_data'
  | 'technical_reference'
  | 'historical_context'
  | 'credentials_access'
  | 'environmental_state'
  | 'other'

/** How a missing piece of knowledge can be acquired. @stable */
export type KnowledgeAcquisitionMode =
  | 'ask_user'
  | 'search_web'
  | 'query_connector'
  | 'inspect_repo'
  | 'run_command'
  | 'infer_low_confidence'
  | 'not_available'

/** How much a requirement weighs in the readiness score. @stable */
export type KnowledgeImportance = 'blocking' | 'high' | 'medium' | 'low'

/** One thing a task needs to know. @stable */
export interface KnowledgeRequirement {
  id: string
  description: string
  requiredFor: string[]
  category: KnowledgeCategory
  acquisitionMode: KnowledgeAcquisitionMode
  importance: KnowledgeImportance
  freshness: 'static' | 'days' | 'hours' | 'realtime' | (string & {})
  sensitivity: 'public' | 'private' | 'secret'
  /** Confidence needed, 0..1. */
  confidenceNeeded: number
  /** Confidence held now, 0..1. */
  currentConfidence: number
  evidenceIds: string[]
  fallbackPolicy: 'block' | 'ask' | 'continue_with_caveat' | 'use_default'
  /** ISO timestamp after which held evidence is stale. */
  validUntil?: string
}

/** The next step recommended by a readiness report. @stable */
export type KnowledgeRecommendedAction =
  | 'run_agent'
  | 'ask_user'
  | 'collect_web_data'
  | 'query_connectors'
  | 'inspect_repo'
  | 'build_domain_wiki'
  | 'continue_with_caveat'
  | 'abort_or_rescope'

/** Severity of a readiness report. @stable */
export type KnowledgeSeverity = 'info' | 'warning' | 'error' | 'critical'

/** Result of scoring a task's knowledge requirements. @stable */
export interface KnowledgeReadinessReport {
  taskId: string
  /** Weighted readiness, 0..1. */
  readinessScore: number
  blockingMissingRequirements: KnowledgeRequirement[]
  nonBlockingGaps: KnowledgeRequirement[]
  recommendedAction: KnowledgeRecommendedAction
  bundle?: Record<string, unknown>
  severity: KnowledgeSeverity
  reason: string
  metadata?: Record<string, unknown>
}

/** Verdict of {@link decideKnowledgeReadiness}: `ready`, `caveat` (continue) or `blocked`. @stable */
export type KnowledgeReadinessStatus = 'ready' | 'caveat' | 'blocked'

/** The decision derived from a readiness report. @stable */
export interface KnowledgeReadinessDecision {
  passed: boolean
  status: KnowledgeReadinessStatus
  reason: string
  readinessScore: number
  recommendedAction: KnowledgeRecommendedAction
  severity: KnowledgeSeverity
  blockingGapIds: string[]
  nonBlockingGapIds: string[]
}

/** A clarifying question raised from a blocking gap. @stable */
export interface KnowledgeQuestion {
  id: string
  requirementId: string
  question: string
  /** The requirement's sensitivity; telemetry never shows the text of a `secret` one. */
  sensitivity?: KnowledgeRequirement['sensitivity']
}

/** A plan to acquire missing knowledge. @stable */
export interface KnowledgeAcquisitionPlan {
  id: string
  requirementId: string
  mode: KnowledgeAcquisitionMode
  description: string
  /** The requirement's sensitivity; telemetry never shows the text of a `secret` one. */
  sensitivity?: KnowledgeRequirement['sensitivity']
}

/** An answer a user gave to a {@link KnowledgeQuestion}. @stable */
export interface KnowledgeUserAnswer {
  questionId: string
  answer: string
}
