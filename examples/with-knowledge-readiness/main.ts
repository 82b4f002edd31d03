/**
 * with-knowledge-readiness: a task says what it must know before the agent
 * acts. The same tax-review task runs three times:
 *   1. the filing year is unknown (a blocking gap): the run stops as `blocked`
 *      before the backend is called, and the route gets the question to ask;
 *   2. only a nice-to-have is stale: the score is below the minimum, so the
 *      run goes ahead with a caveat;
 *   3. a knowledge provider asks the user, re-scores, and the run goes ahead.
 */
import {
  type AgentTaskSpec,
  decideKnowledgeReadiness,
  type KnowledgeReadinessProvider,
  type KnowledgeRequirement,
  runAgentTaskStream,
  scoreKnowledgeReadiness,
} from '@tangle-network/agent-runtime'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

const requirement = (over: Partial<KnowledgeRequirement> & Pick<KnowledgeRequirement, 'id' | 'description'>): KnowledgeRequirement => ({
  requiredFor: ['review'],
  category: 'user_preference',
  acquisitionMode: 'ask_user',
  importance: 'blocking',
  freshness: 'static',
  sensitivity: 'private',
  confidenceNeeded: 0.9,
  currentConfidence: 0,
  evidenceIds: [],
  fallbackPolicy: 'ask',
  ...over,
})

const filingYear = requirement({ id: 'filing-year', description: 'Which tax year is this return for?' })
const priorReturn = requirement({
  id: 'prior-return',
  description: "Last year's return, for carry-overs",
  category: 'historical_context',
  acquisitionMode: 'query_connector',
  importance: 'medium',
  confidenceNeeded: 0.8,
  currentConfidence: 0.2,
  fallbackPolicy: 'continue_with_caveat',
})
const known = (r: KnowledgeRequirement): KnowledgeRequirement => ({ ...r, currentConfidence: 1, evidenceIds: [`answer:${r.id}`] })

// A fixed clock and session id keep the printed output stable.
const fixed = { now: () => Date.parse('2026-04-01T09:00:00Z'), newId: () => 'session-1' }
/** Below this score a run goes ahead with a caveat. */
const minimumScore = 0.9
const backend = createScriptedBackend({ turns: () => [{ type: 'text_delta', text: 'Review done: 2 deductions to check.' }] })

async function runOnce(label: string, task: AgentTaskSpec, knowledge?: KnowledgeReadinessProvider) {
  // The route's own branch, before streaming anything: ready / caveat / blocked.
  const report = scoreKnowledgeReadiness({ taskId: task.id, requirements: task.requiredKnowledge ?? [], now: fixed.now })
  const decision = decideKnowledgeReadiness(report, { minimumScore })
  console.log(`${label}`)
  console.log(`  decision before the run: ${decision.status} (score ${decision.readinessScore.toFixed(2)}, blocking: ${decision.blockingGapIds.join(', ') || 'none'})`)
  const types: string[] = []
  for await (const event of runAgentTaskStream({ task, backend, knowledge, minimumReadinessScore: minimumScore, input: { task, message: 'review my return' }, ...fixed })) {
    types.push(event.type)
    if (event.type === 'readiness_end') console.log(`  readiness in the run: ${event.decision.status}`)
    if (event.type === 'questions_start') console.log(`  asked: ${event.questions.map((q) => q.question).join(' / ')}`)
    if (event.type === 'final') console.log(`  final: ${event.status}${event.text ? ` · "${event.text}"` : ''}`)
  }
  console.log(`  backend called: ${types.includes('backend_start') ? 'yes' : 'no'}`)
}

const base = { intent: 'review a tax return', domain: 'tax' }
await runOnce('1. filing year unknown', { id: 'review-1', ...base, requiredKnowledge: [filingYear, priorReturn] })
await runOnce('2. only last year missing', { id: 'review-2', ...base, requiredKnowledge: [known(filingYear), priorReturn] })

const askTheUser: KnowledgeReadinessProvider = {
  // In a product this shows the questions in the UI; here the user answers "2025".
  answerQuestions: (questions) => questions.map((q) => ({ questionId: q.id, answer: '2025' })),
  refreshReadiness: ({ task, userAnswers }) => {
    const answered = new Set(userAnswers.map((a) => a.questionId.replace(/^question:/, '')))
    const requirements = (task.requiredKnowledge ?? []).map((r) => (answered.has(r.id) ? known(r) : r))
    return scoreKnowledgeReadiness({ taskId: task.id, requirements, now: fixed.now })
  },
}
await runOnce('3. the provider asks the user', { id: 'review-3', ...base, requiredKnowledge: [filingYear, priorReturn] }, askTheUser)
console.log(`backend calls in total: ${backend.calls.length}`)
