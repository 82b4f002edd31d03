import { ValidationError, runAgentControlLoop } from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

/** A counter the loop must raise to a target; each action adds its value. */
function counter(target: number, opts: { cost?: number; clockStep?: number } = {}) {
  let n = 0
  let t = 1_000
  return {
    get n() {
      return n
    },
    now: () => (t += opts.clockStep ?? 1),
    config: {
      intent: 'count',
      observe: () => n,
      validate: (s: number) => [{ id: 'target', passed: s >= target, score: Math.min(1, s / target), severity: 'error' as const }],
      decide: () => ({ type: 'continue' as const, action: 1 }),
      act: (a: number) => {
        n += a
        return n
      },
      getActionCostUsd: () => opts.cost,
    },
  }
}

describe('runAgentControlLoop', () => {
  it('acts until the default stop rule is satisfied', async () => {
    const c = counter(3)
    const res = await runAgentControlLoop({ ...c.config, now: c.now })
    expect(res).toMatchObject({ pass: true, completed: true, stoppedBy: 'stop-policy', failureClass: 'success', finalState: 3, runId: null })
    expect(res.steps.map((s) => [s.beforeState, s.afterState, s.actionOutcome?.ok])).toEqual([
      [0, 1, true],
      [1, 2, true],
      [2, 3, true],
    ])
    expect(res.score).toBe(1)
    expect(res.wallMs).toBeGreaterThan(0)
  })

  it('stops at maxSteps with stoppedBy budget', async () => {
    const c = counter(100)
    const res = await runAgentControlLoop({ ...c.config, budget: { maxSteps: 2 } })
    expect(res).toMatchObject({ pass: false, completed: false, stoppedBy: 'budget', failureClass: 'budget_exceeded', reason: 'budget exhausted: maxSteps 2 reached' })
    expect(c.n).toBe(2)
  })

  it('stops at maxCostUsd once the spend reaches it', async () => {
    const c = counter(100, { cost: 0.25 })
    const res = await runAgentControlLoop({ ...c.config, budget: { maxCostUsd: 0.5, maxSteps: 50 } })
    expect(res.stoppedBy).toBe('budget')
    expect(res.spentCostUsd).toBe(0.5)
    expect(res.reason).toBe('budget exhausted: maxCostUsd 0.5 reached (spent 0.5)')
    expect(res.steps.map((s) => s.actionOutcome?.costUsd)).toEqual([0.25, 0.25])
  })

  it('stops at maxWallMs using the injected clock', async () => {
    const c = counter(100, { clockStep: 40 })
    const res = await runAgentControlLoop({ ...c.config, now: c.now, budget: { maxWallMs: 100, maxSteps: 50 } })
    expect(res).toMatchObject({ stoppedBy: 'budget', failureClass: 'timeout' })
    expect(res.reason).toMatch(/^budget exhausted: maxWallMs 100 reached after \d+ ms$/)
  })

  it('stops when the signal aborts mid-run', async () => {
    const c = counter(100)
    const ac = new AbortController()
    const res = await runAgentControlLoop({
      ...c.config,
      signal: ac.signal,
      act: (a: number) => {
        if (c.n === 1) ac.abort()
        return c.config.act(a)
      },
    })
    expect(res).toMatchObject({ stoppedBy: 'abort', pass: false, reason: 'aborted', failureClass: 'aborted' })
    expect(c.n).toBe(2)
  })

  it('records a throwing act as a runtime error instead of throwing', async () => {
    const c = counter(5)
    const res = await runAgentControlLoop({
      ...c.config,
      act: () => {
        throw new Error('tool exploded')
      },
    })
    expect(res).toMatchObject({ stoppedBy: 'runtime-error', pass: false, reason: 'act failed: tool exploded', failureClass: 'runtime_error' })
    expect(res.runtimeErrors).toEqual([{ phase: 'act', step: 0, message: 'tool exploded' }])
    expect(res.steps[0]!.actionOutcome).toMatchObject({ ok: false, error: 'tool exploded' })
  })

  it('records a throwing observe as a runtime error', async () => {
    const c = counter(5)
    const res = await runAgentControlLoop({
      ...c.config,
      observe: () => {
        throw new Error('no state')
      },
    })
    expect(res.stoppedBy).toBe('runtime-error')
    expect(res.runtimeErrors).toEqual([{ phase: 'observe', step: 0, message: 'no state' }])
  })

  it('lets decide stop with its own verdict, recorded as a step without an action', async () => {
    const c = counter(5)
    const res = await runAgentControlLoop({
      ...c.config,
      decide: () => ({ type: 'stop', reason: 'give up', pass: false, failureClass: 'policy_violation' }),
    })
    expect(res).toMatchObject({ stoppedBy: 'policy', completed: true, pass: false, reason: 'give up', failureClass: 'policy_violation' })
    expect(res.steps).toHaveLength(1)
    expect(res.steps[0]!.actionOutcome).toBeUndefined()
  })

  it('uses shouldStop instead of the default rule and calls onStep per step', async () => {
    const c = counter(100)
    const seen: number[] = []
    const res = await runAgentControlLoop({
      ...c.config,
      shouldStop: ({ state }) => (state >= 2 ? { stop: true, reason: 'two is enough' } : false),
      onStep: (s) => {
        seen.push(s.index)
      },
    })
    expect(res).toMatchObject({ stoppedBy: 'stop-policy', reason: 'two is enough', pass: true })
    expect(seen).toEqual([0, 1])
  })

  it.each([
    [{ maxSteps: -1 }, 'budget.maxSteps must be a non-negative integer; received -1.'],
    [{ maxSteps: 1.5 }, 'budget.maxSteps must be a non-negative integer; received 1.5.'],
    [{ maxWallMs: -5 }, 'budget.maxWallMs must be a number >= 0; received -5.'],
    [{ maxCostUsd: Number.NaN }, 'budget.maxCostUsd must be a number >= 0; received NaN.'],
  ])('rejects budget %o with ValidationError', async (budget, message) => {
    const c = counter(1)
    const err = await runAgentControlLoop({ ...c.config, budget }).catch((e) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect(err.code).toBe('validation')
    expect(err.message).toBe(message)
  })
})
