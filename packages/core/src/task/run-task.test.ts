import {
  type AgentRuntimeEvent,
  type AgentTaskSpec,
  type KnowledgeRequirement,
  FAILURE_CLASSES,
  applyRunRecordDefaults,
  isFailureClass,
  runAgentTask,
} from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

function req(id: string, over: Partial<KnowledgeRequirement> = {}): KnowledgeRequirement {
  return {
    id,
    description: `about ${id}`,
    requiredFor: ['answer'],
    category: 'domain_general',
    acquisitionMode: 'ask_user',
    importance: 'blocking',
    freshness: 'static',
    sensitivity: 'public',
    confidenceNeeded: 0.8,
    currentConfidence: 0,
    evidenceIds: [],
    fallbackPolicy: 'ask',
    ...over,
  }
}

function adapter(target: number) {
  let n = 0
  return {
    observe: () => n,
    validate: ({ state: s }: { state: number }) => [{ id: 'target', passed: s >= target, severity: 'error' as const }],
    decide: () => ({ type: 'continue' as const, action: 1 }),
    act: ({ action: a }: { action: number }) => (n += a),
    getActionCostUsd: () => 0.01,
  }
}

const task: AgentTaskSpec = { id: 'count-to-3', intent: 'count' }

describe('runAgentTask', () => {
  it('runs readiness then the control loop and returns a completed result with a run record', async () => {
    const events: AgentRuntimeEvent[] = []
    const res = await runAgentTask({ task, adapter: adapter(3), onEvent: (e) => void events.push(e), scenarioId: 'sc', runId: 'run-1' })
    expect(res.status).toBe('completed')
    expect(res.control).toMatchObject({ pass: true, stoppedBy: 'stop-policy', runId: 'run-1' })
    expect(res.control.steps).toHaveLength(3)
    expect(events.map((e) => e.type)).toEqual([
      'task_start',
      'readiness_start',
      'readiness_end',
      'control_start',
      'control_step',
      'control_step',
      'control_step',
      'control_end',
      'task_end',
    ])
    expect(res.runRecords).toHaveLength(1)
    expect(res.runRecords[0]).toMatchObject({
      runId: 'run-1',
      scenarioId: 'sc',
      failureClass: 'success',
      terminalOutcome: 'succeeded',
      model: 'unknown',
      costProvenance: { kind: 'observed' },
    })
    expect(res.runRecords[0]!.costUsd).toBeCloseTo(0.03, 10)
    expect(res.runRecords[0]!.error).toBeUndefined()
  })

  it('blocks before acting when a blocking requirement is missing', async () => {
    let acted = false
    const res = await runAgentTask({
      task: { ...task, requiredKnowledge: [req('api-key')] },
      adapter: {
        ...adapter(3),
        act: () => {
          acted = true
          return 1
        },
      },
    })
    expect(acted).toBe(false)
    expect(res.status).toBe('blocked')
    expect(res.control.reason).toBe('knowledge readiness blocked: blocking knowledge missing: api-key')
    expect(res.runRecords[0]).toMatchObject({ failureClass: 'knowledge_blocked', terminalOutcome: 'incomplete', scenarioId: 'count-to-3' })
    expect(res.runRecords[0]!.error).toContain('knowledge readiness blocked')
  })

  it('asks questions, acquires evidence and refreshes readiness before running', async () => {
    const events: string[] = []
    const res = await runAgentTask({
      task: { ...task, requiredKnowledge: [req('region')] },
      adapter: adapter(1),
      onEvent: (e) => void events.push(e.type),
      knowledge: {
        answerQuestions: (qs) => qs.map((q) => ({ questionId: q.id, answer: 'eu-west' })),
        executeAcquisitionPlans: () => ['ev-1'],
        refreshReadiness: ({ task: t }) => ({
          taskId: t.id,
          readinessScore: 1,
          blockingMissingRequirements: [],
          nonBlockingGaps: [],
          recommendedAction: 'run_agent',
          severity: 'info',
          reason: 'answered',
        }),
      },
    })
    expect(res.status).toBe('completed')
    expect(res.questions).toEqual([{ id: 'question:region', requirementId: 'region', question: 'about region', sensitivity: 'public' }])
    expect(res.userAnswers).toEqual([{ questionId: 'question:region', answer: 'eu-west' }])
    expect(res.acquiredEvidenceIds).toEqual(['ev-1'])
    expect(res.knowledge.reason).toBe('answered')
    expect(events.slice(0, 8)).toEqual([
      'task_start',
      'readiness_start',
      'questions_start',
      'questions_end',
      'acquisition_start',
      'acquisition_end',
      'readiness_start',
      'readiness_end',
    ])
  })

  it('lets onKnowledgeBlocked override the stop', async () => {
    const res = await runAgentTask({
      task: { ...task, requiredKnowledge: [req('x')] },
      adapter: { ...adapter(1), onKnowledgeBlocked: () => ({ type: 'stop', reason: 'escalated to a human', pass: false }) },
    })
    expect(res.status).toBe('failed')
    expect(res.control.reason).toBe('escalated to a human')
  })

  it('fails within budget.maxSteps and records the error', async () => {
    const res = await runAgentTask({ task: { ...task, budget: { maxSteps: 1 } }, adapter: adapter(3) })
    expect(res.status).toBe('failed')
    expect(res.control.stoppedBy).toBe('budget')
    expect(res.runRecords[0]).toMatchObject({ failureClass: 'budget_exceeded', terminalOutcome: 'failed', error: 'budget exhausted: maxSteps 1 reached' })
  })

  it('is aborted when the signal aborts', async () => {
    const ac = new AbortController()
    const a = adapter(10)
    const res = await runAgentTask({ task, signal: ac.signal, adapter: {
        ...a,
        act: (input: { action: number }) => {
          ac.abort()
          return a.act(input)
        },
      },
    })
    expect(res.status).toBe('aborted')
    expect(res.runRecords[0]).toMatchObject({ terminalOutcome: 'cancelled', failureClass: 'aborted' })
  })

  it('keeps running when onEvent throws', async () => {
    const res = await runAgentTask({
      task,
      adapter: adapter(1),
      onEvent: () => {
        throw new Error('sink down')
      },
    })
    expect(res.status).toBe('completed')
  })

  it('uses projectRunRecords and fills only canonical defaults', async () => {
    const res = await runAgentTask({
      task,
      adapter: {
        ...adapter(1),
        projectRunRecords: (r) => [
          { runId: 'a', model: 'm', wallMs: r.control.wallMs, costUsd: null, costProvenance: { kind: 'uncaptured', usd: null }, terminalOutcome: 'succeeded' },
        ],
      },
      scenarioId: 'scn',
    })
    expect(res.runRecords).toEqual([expect.objectContaining({ runId: 'a', model: 'm', scenarioId: 'scn', failureClass: 'success' })])
  })
})

describe('applyRunRecordDefaults', () => {
  const base = { runId: 'r', model: 'm', wallMs: 1, costUsd: null, costProvenance: { kind: 'uncaptured' as const, usd: null }, terminalOutcome: 'failed' as const }
  it('fills scenarioId and a canonical failureClass, never overriding set values', () => {
    expect(applyRunRecordDefaults(base, { scenarioId: 's', failureClass: 'timeout' })).toMatchObject({ scenarioId: 's', failureClass: 'timeout' })
    expect(applyRunRecordDefaults({ ...base, scenarioId: 'own', failureClass: 'aborted' }, { scenarioId: 's', failureClass: 'timeout' })).toMatchObject({
      scenarioId: 'own',
      failureClass: 'aborted',
    })
  })
  it('ignores a non-canonical failureClass', () => {
    expect(applyRunRecordDefaults(base, { failureClass: 'made_up' }).failureClass).toBeUndefined()
    expect(isFailureClass('made_up')).toBe(false)
    expect(FAILURE_CLASSES).toContain('success')
  })
})
