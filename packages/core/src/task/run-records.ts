/**
 * Run records: our structural subset of agent-eval's `RunRecord`, so task runs
 * can feed the same analysis tooling.
 */

/** Canonical failure classes (a subset of agent-eval's list). @stable */
export const FAILURE_CLASSES = [
  'success',
  'timeout',
  'budget_exceeded',
  'aborted',
  'knowledge_blocked',
  'validation_failed',
  'runtime_error',
  'tool_error',
  'backend_error',
  'transport_error',
  'sandbox_failure',
  'policy_violation',
  'unknown',
] as const

/** One of {@link FAILURE_CLASSES}. @stable */
export type FailureClass = (typeof FAILURE_CLASSES)[number]

/**
 * True when `value` is one of {@link FAILURE_CLASSES}.
 * @stable
 * @example
 * isFailureClass('timeout') // true; isFailureClass('oops') // false
 */
export function isFailureClass(value: unknown): value is FailureClass {
  return typeof value === 'string' && (FAILURE_CLASSES as readonly string[]).includes(value)
}

/** How the cost of a run was known. @stable */
export type CostProvenance = { kind: 'observed' | 'estimated'; usd: number } | { kind: 'uncaptured'; usd: null }

/** How a run ended. @stable */
export type TerminalOutcome = 'succeeded' | 'failed' | 'cancelled' | 'incomplete' | 'unknown'

/** One run of one task, for analysis and comparisons. @stable */
export interface RunRecord {
  runId: string
  experimentId?: string
  candidateId?: string
  seed?: number
  /** Model snapshot id, or `'unknown'`. */
  model: string
  promptHash?: string
  configHash?: string
  commitSha?: string
  wallMs: number
  costUsd: number | null
  costProvenance: CostProvenance
  tokenUsage?: { input: number; output: number; reasoning?: number; cached?: number }
  terminalOutcome: TerminalOutcome
  outcome?: { searchScore?: number; holdoutScore?: number; raw?: unknown; judgeScores?: Record<string, number> }
  failureClass?: FailureClass
  failureMode?: string
  /** Why the run failed, when it did (fail loud: never an empty success). */
  error?: string
  splitTag?: 'search' | 'dev' | 'holdout'
  scenarioId?: string
  agentProfile?: string
  metadata?: Record<string, unknown>
}

/**
 * Fills a record's `scenarioId`, and its `failureClass` only when the default
 * is a canonical {@link FAILURE_CLASSES} value. Values already set win.
 * @stable
 * @example
 * applyRunRecordDefaults(record, { scenarioId: 'checkout', failureClass: 'timeout' })
 */
export function applyRunRecordDefaults(record: RunRecord, defaults: { scenarioId?: string; failureClass?: string }): RunRecord {
  const out: RunRecord = { ...record }
  if (out.scenarioId === undefined && defaults.scenarioId !== undefined) out.scenarioId = defaults.scenarioId
  if (out.failureClass === undefined && isFailureClass(defaults.failureClass)) out.failureClass = defaults.failureClass
  return out
}
