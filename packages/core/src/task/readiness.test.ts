import {
  type KnowledgeReadinessReport,
  type KnowledgeRequirement,
  ValidationError,
  blockingKnowledgeEval,
  decideKnowledgeReadiness,
  scoreKnowledgeReadiness,
} from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

function req(id: string, over: Partial<KnowledgeRequirement> = {}): KnowledgeRequirement {
  return {
    id,
    description: `about ${id}`,
    requiredFor: ['answer'],
    category: 'domain_general',
    acquisitionMode: 'ask_user',
    importance: 'medium',
    freshness: 'static',
    sensitivity: 'public',
    confidenceNeeded: 0.8,
    currentConfidence: 0.8,
    evidenceIds: [],
    fallbackPolicy: 'continue_with_caveat',
    ...over,
  }
}

const NOW = Date.parse('2025-01-01T00:00:00Z')

describe('scoreKnowledgeReadiness', () => {
  it('scores an empty requirement list as fully ready', () => {
    const r = scoreKnowledgeReadiness({ taskId: 't', requirements: [] })
    expect(r).toMatchObject({ taskId: 't', readinessScore: 1, recommendedAction: 'run_agent', severity: 'info' })
    expect(r.blockingMissingRequirements).toEqual([])
  })

  it('weights importance 8/4/2/1 in the mean of min(1, current/needed)', () => {
    const r = scoreKnowledgeReadiness({
      taskId: 't',
      requirements: [
        req('high', { importance: 'high', confidenceNeeded: 1, currentConfidence: 0.5 }),
        req('low', { importance: 'low', confidenceNeeded: 0.5, currentConfidence: 1 }),
      ],
    })
    // (0.5*4 + 1*1) / 5
    expect(r.readinessScore).toBeCloseTo(0.6, 10)
    expect(r.nonBlockingGaps.map((g) => g.id)).toEqual(['high'])
    expect(r.recommendedAction).toBe('continue_with_caveat')
    expect(r.severity).toBe('warning')
  })

  it('classifies blocking gaps by importance, fallback `block` and secrecy', () => {
    const r = scoreKnowledgeReadiness({
      taskId: 't',
      requirements: [
        req('a', { importance: 'blocking', currentConfidence: 0, acquisitionMode: 'search_web' }),
        req('b', { fallbackPolicy: 'block', currentConfidence: 0.1 }),
        req('c', { sensitivity: 'secret', currentConfidence: 0.1 }),
        req('d', { importance: 'blocking' }),
      ],
    })
    expect(r.blockingMissingRequirements.map((g) => g.id)).toEqual(['a', 'b', 'c'])
    expect(r.recommendedAction).toBe('collect_web_data')
    expect(r.severity).toBe('critical')
    expect(r.reason).toBe('Missing blocking knowledge: a, b, c.')
  })

  it('treats expired evidence as missing, using the injected clock', () => {
    const expired = req('e', { validUntil: '2024-12-31T00:00:00Z', importance: 'blocking' })
    const fresh = req('e', { validUntil: '2025-02-01T00:00:00Z', importance: 'blocking' })
    expect(scoreKnowledgeReadiness({ taskId: 't', requirements: [expired], now: () => NOW }).blockingMissingRequirements).toHaveLength(1)
    expect(scoreKnowledgeReadiness({ taskId: 't', requirements: [fresh], now: () => NOW }).blockingMissingRequirements).toHaveLength(0)
  })
})

function report(over: Partial<KnowledgeReadinessReport> = {}): KnowledgeReadinessReport {
  return {
    taskId: 't',
    readinessScore: 0.9,
    blockingMissingRequirements: [],
    nonBlockingGaps: [],
    recommendedAction: 'run_agent',
    severity: 'info',
    reason: 'fine',
    ...over,
  }
}

describe('decideKnowledgeReadiness', () => {
  it('is ready at or above the minimum', () => {
    expect(decideKnowledgeReadiness(report({ readinessScore: 0.7 }))).toEqual({
      passed: true,
      status: 'ready',
      reason: 'fine',
      readinessScore: 0.7,
      recommendedAction: 'run_agent',
      severity: 'info',
      blockingGapIds: [],
      nonBlockingGapIds: [],
    })
  })

  it('gives a caveat with the exact 3-decimal message below the minimum', () => {
    const d = decideKnowledgeReadiness(report({ readinessScore: 0.5, nonBlockingGaps: [req('g')] }), { minimumScore: 0.75 })
    expect(d.status).toBe('caveat')
    expect(d.passed).toBe(false)
    expect(d.reason).toBe('Knowledge readiness score 0.500 is below minimum 0.750.')
    expect(d.nonBlockingGapIds).toEqual(['g'])
  })

  it('is blocked by any blocking gap, whatever the score', () => {
    const d = decideKnowledgeReadiness(report({ readinessScore: 1, blockingMissingRequirements: [req('x')], reason: 'need x' }))
    expect(d).toMatchObject({ status: 'blocked', passed: false, reason: 'need x', blockingGapIds: ['x'] })
  })

  it.each([-0.1, 1.5, Number.NaN])('rejects minimumScore %s with ValidationError', (m) => {
    const run = () => decideKnowledgeReadiness(report(), { minimumScore: m })
    expect(run).toThrow(ValidationError)
    try {
      run()
    } catch (e) {
      expect((e as ValidationError).code).toBe('validation')
      expect((e as Error).message).toBe(`minimumScore must be a finite number in [0, 1]; received ${String(m)}. Pass e.g. 0.7.`)
    }
  })
})

describe('blockingKnowledgeEval', () => {
  it('passes only when nothing blocks and the score reaches the minimum', () => {
    expect(blockingKnowledgeEval(report()).passed).toBe(true)
    expect(blockingKnowledgeEval(report({ readinessScore: 0.6 }))).toMatchObject({
      id: 'knowledge-ready',
      passed: false,
      severity: 'error',
      detail: 'Knowledge readiness score 0.600 is below minimum 0.700.',
    })
    expect(blockingKnowledgeEval(report({ blockingMissingRequirements: [req('k')] }))).toMatchObject({
      passed: false,
      severity: 'critical',
      detail: 'blocking knowledge missing: k',
    })
  })
})
