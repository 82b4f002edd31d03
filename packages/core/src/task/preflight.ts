import type { RuntimeStreamEvent } from '../contracts/events.js'
import type { KnowledgeAcquisitionPlan, KnowledgeQuestion, KnowledgeReadinessReport, KnowledgeUserAnswer } from '../contracts/knowledge.js'
import type { AgentTaskSpec } from '../contracts/task.js'
import { type Clock, isoNow } from '../util/clock.js'
import { scoreKnowledgeReadiness } from './readiness.js'

/**
 * Where a task's knowledge comes from. Every method is optional: without
 * `buildReadiness` the task's `requiredKnowledge` is scored as is.
 * @stable
 */
export interface KnowledgeReadinessProvider {
  buildReadiness?(task: AgentTaskSpec, ctx: { signal?: AbortSignal }): KnowledgeReadinessReport | Promise<KnowledgeReadinessReport>
  /** Answers the questions raised from blocking gaps (for example by asking the user). */
  answerQuestions?(
    questions: KnowledgeQuestion[],
    ctx: { task: AgentTaskSpec; knowledge: KnowledgeReadinessReport; signal?: AbortSignal },
  ): KnowledgeUserAnswer[] | Promise<KnowledgeUserAnswer[]>
  /** Runs acquisition plans for every gap; resolves with the evidence ids gathered. */
  executeAcquisitionPlans?(
    plans: KnowledgeAcquisitionPlan[],
    ctx: { task: AgentTaskSpec; knowledge: KnowledgeReadinessReport; signal?: AbortSignal },
  ): string[] | Promise<string[]>
  /** Re-scores readiness once answers or evidence arrived. */
  refreshReadiness?(
    input: { task: AgentTaskSpec; previous: KnowledgeReadinessReport; userAnswers: KnowledgeUserAnswer[]; acquiredEvidenceIds: string[] },
    ctx: { signal?: AbortSignal },
  ): KnowledgeReadinessReport | Promise<KnowledgeReadinessReport>
}

/** What the readiness preflight found. @stable */
export interface ReadinessPreflightResult {
  knowledge: KnowledgeReadinessReport
  questions: KnowledgeQuestion[]
  acquisitionPlans: KnowledgeAcquisitionPlan[]
  userAnswers: KnowledgeUserAnswer[]
  acquiredEvidenceIds: string[]
}

/**
 * Builds readiness, asks questions for blocking gaps, runs acquisition plans
 * for all gaps, and re-scores when anything arrived. Yields the preflight
 * events (between the caller's `readiness_start` and `readiness_end`).
 */
export async function* readinessPreflight(
  task: AgentTaskSpec,
  provider: KnowledgeReadinessProvider | undefined,
  opts: { now: Clock; signal?: AbortSignal },
): AsyncGenerator<RuntimeStreamEvent, ReadinessPreflightResult> {
  const stamp = () => ({ timestamp: isoNow(opts.now), task })
  const ctx = { signal: opts.signal }
  let knowledge = provider?.buildReadiness
    ? await provider.buildReadiness(task, ctx)
    : scoreKnowledgeReadiness({ taskId: task.id, requirements: task.requiredKnowledge ?? [], metadata: task.metadata, now: opts.now })
  const questions: KnowledgeQuestion[] = knowledge.blockingMissingRequirements.map((r) => ({
    id: `question:${r.id}`,
    requirementId: r.id,
    question: r.description,
    sensitivity: r.sensitivity,
  }))
  const acquisitionPlans: KnowledgeAcquisitionPlan[] = [...knowledge.blockingMissingRequirements, ...knowledge.nonBlockingGaps].map((r) => ({
    id: `acquire:${r.id}`,
    requirementId: r.id,
    mode: r.acquisitionMode,
    description: r.description,
    sensitivity: r.sensitivity,
  }))
  let userAnswers: KnowledgeUserAnswer[] = []
  let acquiredEvidenceIds: string[] = []
  if (questions.length > 0 && provider?.answerQuestions) {
    yield { type: 'questions_start', ...stamp(), questions }
    userAnswers = await provider.answerQuestions(questions, { task, knowledge, signal: opts.signal })
    yield { type: 'questions_end', ...stamp(), questions, userAnswers }
  }
  if (acquisitionPlans.length > 0 && provider?.executeAcquisitionPlans) {
    yield { type: 'acquisition_start', ...stamp(), acquisitionPlans }
    acquiredEvidenceIds = await provider.executeAcquisitionPlans(acquisitionPlans, { task, knowledge, signal: opts.signal })
    yield { type: 'acquisition_end', ...stamp(), acquisitionPlans, acquiredEvidenceIds }
  }
  if ((userAnswers.length > 0 || acquiredEvidenceIds.length > 0) && provider?.refreshReadiness) {
    yield { type: 'readiness_start', ...stamp() }
    knowledge = await provider.refreshReadiness({ task, previous: knowledge, userAnswers, acquiredEvidenceIds }, ctx)
  }
  return { knowledge, questions, acquisitionPlans, userAnswers, acquiredEvidenceIds }
}
