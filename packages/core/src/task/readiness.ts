import type {
  KnowledgeImportance,
  KnowledgeReadinessDecision,
  KnowledgeReadinessReport,
  KnowledgeRecommendedAction,
  KnowledgeRequirement,
  KnowledgeSeverity,
} from '../contracts/knowledge.js'
import { ValidationError } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import type { ControlEvalResult } from './control-loop.js'
import { describeValue } from '../util/describe-value.js'

/** Readiness score below which a task only runs with a caveat. @stable */
export const DEFAULT_MINIMUM_READINESS_SCORE = 0.7

// Weights of the readiness mean: a blocking requirement counts eight times a low one.
const IMPORTANCE_WEIGHT: Record<KnowledgeImportance, number> = { blocking: 8, high: 4, medium: 2, low: 1 }

/** Input of {@link scoreKnowledgeReadiness}. @stable */
export interface ScoreKnowledgeReadinessInput {
  taskId: string
  requirements: KnowledgeRequirement[]
  metadata?: Record<string, unknown>
  /** Clock used to decide whether `validUntil` has passed. */
  now?: Clock
}

/**
 * Scores how ready a task's knowledge is. A requirement is missing when its
 * evidence expired or its confidence is below what is needed; a missing
 * requirement blocks when it is `blocking`, falls back to `block`, or is secret.
 * @stable
 * @example
 * const report = scoreKnowledgeReadiness({ taskId: 't1', requirements: [] }) // readinessScore 1, run_agent
 */
export function scoreKnowledgeReadiness(input: ScoreKnowledgeReadinessInput): KnowledgeReadinessReport {
  const now = (input.now ?? systemClock)()
  const blocking: KnowledgeRequirement[] = []
  const gaps: KnowledgeRequirement[] = []
  let weighted = 0
  let weights = 0
  for (const req of input.requirements) {
    const expired = req.validUntil !== undefined && Date.parse(req.validUntil) < now
    const current = expired ? 0 : clamp01(req.currentConfidence)
    const needed = clamp01(req.confidenceNeeded)
    const ratio = needed === 0 ? 1 : Math.min(1, current / needed)
    const weight = IMPORTANCE_WEIGHT[req.importance] ?? 1
    weighted += ratio * weight
    weights += weight
    const missing = expired || current < needed
    if (!missing) continue
    if (req.importance === 'blocking' || req.fallbackPolicy === 'block' || req.sensitivity === 'secret') blocking.push(req)
    else gaps.push(req)
  }
  const readinessScore = weights === 0 ? 1 : weighted / weights
  const { recommendedAction, severity, reason } = summarise(blocking, gaps, readinessScore)
  return {
    taskId: input.taskId,
    readinessScore,
    blockingMissingRequirements: blocking,
    nonBlockingGaps: gaps,
    recommendedAction,
    severity,
    reason,
    bundle: {
      requirementIds: input.requirements.map((r) => r.id),
      missingRequirementIds: [...blocking, ...gaps].map((r) => r.id),
      evidenceIds: input.requirements.flatMap((r) => r.evidenceIds),
    },
    ...(input.metadata ? { metadata: input.metadata } : {}),
  }
}

function clamp01(n: number): number {
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0
}

function summarise(
  blocking: KnowledgeRequirement[],
  gaps: KnowledgeRequirement[],
  score: number,
): { recommendedAction: KnowledgeRecommendedAction; severity: KnowledgeSeverity; reason: string } {
  if (blocking.length > 0) {
    const first = blocking[0]!
    return {
      recommendedAction: actionFor(first),
      severity: blocking.some((r) => r.sensitivity === 'secret') ? 'critical' : 'error',
      reason: `Missing blocking knowledge: ${blocking.map((r) => r.id).join(', ')}.`,
    }
  }
  if (gaps.length > 0) {
    return {
      recommendedAction: 'continue_with_caveat',
      severity: 'warning',
      reason: `Knowledge gaps (non-blocking): ${gaps.map((r) => r.id).join(', ')}; readiness ${score.toFixed(3)}.`,
    }
  }
  return { recommendedAction: 'run_agent', severity: 'info', reason: 'All knowledge requirements are satisfied.' }
}

function actionFor(req: KnowledgeRequirement): KnowledgeRecommendedAction {
  switch (req.acquisitionMode) {
    case 'ask_user':
      return 'ask_user'
    case 'search_web':
      return 'collect_web_data'
    case 'query_connector':
      return 'query_connectors'
    case 'inspect_repo':
    case 'run_command':
      return 'inspect_repo'
    case 'infer_low_confidence':
      return 'continue_with_caveat'
    default:
      return 'abort_or_rescope'
  }
}

function checkMinimum(minimumScore: number): number {
  if (typeof minimumScore !== 'number' || !Number.isFinite(minimumScore) || minimumScore < 0 || minimumScore > 1) {
    throw new ValidationError(`minimumScore must be a finite number in [0, 1]; received ${describeValue(minimumScore)}. Pass e.g. 0.7.`)
  }
  return minimumScore
}

/**
 * The control-loop eval `knowledge-ready`: passes only when nothing blocks and
 * the score reaches the minimum (default 0.7).
 * @stable
 * @example
 * blockingKnowledgeEval(report).passed // false when a blocking requirement is missing
 */
export function blockingKnowledgeEval(report: KnowledgeReadinessReport, options: { minimumScore?: number } = {}): ControlEvalResult {
  const minimumScore = checkMinimum(options.minimumScore ?? DEFAULT_MINIMUM_READINESS_SCORE)
  const blockingIds = report.blockingMissingRequirements.map((r) => r.id)
  const passed = blockingIds.length === 0 && report.readinessScore >= minimumScore
  return {
    id: 'knowledge-ready',
    passed,
    score: report.readinessScore,
    severity: passed ? 'info' : blockingIds.length > 0 ? 'critical' : 'error',
    detail: passed
      ? report.reason
      : blockingIds.length > 0
        ? `blocking knowledge missing: ${blockingIds.join(', ')}`
        : `Knowledge readiness score ${report.readinessScore.toFixed(3)} is below minimum ${minimumScore.toFixed(3)}.`,
    objective: 'knowledge',
  }
}

/**
 * Turns a readiness report into a three-way decision: `blocked` (a blocking
 * gap), `caveat` (score below the minimum; the run continues) or `ready`.
 * @stable
 * @example
 * const d = decideKnowledgeReadiness(report, { minimumScore: 0.8 })
 * if (d.status === 'blocked') return askUser(d.blockingGapIds)
 */
export function decideKnowledgeReadiness(
  report: KnowledgeReadinessReport,
  options: { minimumScore?: number } = {},
): KnowledgeReadinessDecision {
  const minimumScore = checkMinimum(options.minimumScore ?? DEFAULT_MINIMUM_READINESS_SCORE)
  const common = {
    readinessScore: report.readinessScore,
    recommendedAction: report.recommendedAction,
    severity: report.severity,
    blockingGapIds: report.blockingMissingRequirements.map((r) => r.id),
    nonBlockingGapIds: report.nonBlockingGaps.map((r) => r.id),
  }
  if (common.blockingGapIds.length > 0) return { passed: false, status: 'blocked', reason: report.reason, ...common }
  if (report.readinessScore < minimumScore) {
    return {
      passed: false,
      status: 'caveat',
      reason: `Knowledge readiness score ${report.readinessScore.toFixed(3)} is below minimum ${minimumScore.toFixed(3)}.`,
      ...common,
    }
  }
  return { passed: true, status: 'ready', reason: report.reason, ...common }
}
