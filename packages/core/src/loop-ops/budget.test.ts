import type { SandboxEvent } from '@tangle-network/agent-runtime-core'
import { BUDGET_EXCEEDED, runDelegatedLoop, ValidationError } from '@tangle-network/agent-runtime-core'
import { type AgentRunSpec, createFanoutVoteDriver, createRefineDriver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import { describe, expect, it } from 'vitest'

const spec: AgentRunSpec<string> = { name: 'w', profile: { name: 'p' }, taskToPrompt: (t) => t }
const parse = { parse: (events: SandboxEvent[]) => events.length }
const never = { validate: () => ({ valid: false, score: 0 }) }
const usage = (tokens: number, costUsd = 0): SandboxEvent => ({ type: 'llm_call', data: { tokensIn: tokens, tokensOut: 0, costUsd } })

describe('runLoop budget', () => {
  it('does not dispatch an iteration the remaining budget cannot cover, judged by the most expensive so far', async () => {
    // Iterations cost 300, 400, 100…: after 0 and 1 (700 spent, peak 400), 700 + 400 > 1000 stops dispatch.
    const costs = [300, 400, 100, 100, 100]
    const sandboxClient = createScriptedSandboxClient({ respond: (_p, { call }) => [usage(costs[call] ?? 100)] })
    const res = await runLoop({
      driver: createRefineDriver<string, number>({ maxIterations: 5 }),
      agentRun: spec,
      output: parse,
      validator: never,
      task: 't',
      budget: { maxTokens: 1000 },
      ctx: { sandboxClient },
    })
    expect(res.decision).toBe(BUDGET_EXCEEDED)
    expect(res.iterations).toHaveLength(2)
    expect(sandboxClient.created).toHaveLength(2)
    expect(res.budget).toMatchObject({ limit: 'maxTokens', reason: 'insufficient', spent: { tokens: 700 } })
    expect(res.tokenUsage.input).toBe(700)
  })

  it('aborts the iterations in flight when a cap is crossed, deleting every box', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((r) => (release = r))
    const sandboxClient = createScriptedSandboxClient({
      respond: async function* (_p, { call, signal }) {
        if (call === 0) {
          // Wait for the other three to start, then overspend.
          await gate
          yield usage(5000, 0.5)
          return
        }
        if (call === 3) release()
        yield usage(10, 0.001)
        await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }))
        yield usage(1)
      },
    })
    const res = await runLoop({
      driver: createFanoutVoteDriver<string, number>({ n: 4 }),
      agentRun: spec,
      output: parse,
      validator: never,
      task: 't',
      budget: { maxCostUsd: 0.25 },
      ctx: { sandboxClient },
    })
    expect(res.decision).toBe('budget-exceeded')
    expect(res.budget).toMatchObject({ limit: 'maxCostUsd', reason: 'crossed' })
    expect(res.budget!.spent.costUsd).toBeCloseTo(0.503, 6)
    expect(res.iterations.map((it) => it.error)).toEqual(['aborted', 'aborted', 'aborted', 'aborted'])
    expect(sandboxClient.liveBoxIds()).toEqual([])
    expect(sandboxClient.deleted).toHaveLength(4)
  })

  it('stops on wall time measured by the injected clock', async () => {
    let t = 0
    const sandboxClient = createScriptedSandboxClient({
      respond: () => {
        t += 600
        return [usage(1)]
      },
    })
    const res = await runLoop({
      driver: createRefineDriver<string, number>({ maxIterations: 5 }),
      agentRun: spec,
      output: parse,
      validator: never,
      task: 't',
      now: () => t,
      budget: { maxWallMs: 1000 },
      ctx: { sandboxClient },
    })
    expect(res.decision).toBe('budget-exceeded')
    expect(res.budget?.limit).toBe('maxWallMs')
    expect(res.iterations).toHaveLength(2)
  })

  it('runs normally under a budget it never reaches, and rejects a bad cap naming the field', async () => {
    const sandboxClient = createScriptedSandboxClient({ respond: () => [usage(10)] })
    const res = await runLoop({ driver: createRefineDriver<string, number>({ maxIterations: 2 }), agentRun: spec, output: parse, validator: never, task: 't', budget: { maxTokens: 1e6 }, ctx: { sandboxClient } })
    expect(res.decision).toBe('stop')
    expect(res.budget).toBeUndefined()
    const err = await runLoop({ driver: createRefineDriver<string, number>(), agentRun: spec, output: parse, validator: never, task: 't', budget: { maxTokens: -1 }, ctx: { sandboxClient } }).catch((e) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect(err.message).toContain('budget.maxTokens must be a positive number, got -1')
  })
})

describe('runDelegatedLoop budget', () => {
  it('aborts a runner that reports spend over the cap and records budget-exceeded', async () => {
    let aborted = false
    const res = await runDelegatedLoop(
      'research',
      {
        research: async (signal, ctx) => {
          ctx?.recordUsage({ tokens: 600 })
          ctx?.recordUsage({ tokens: 600 })
          aborted = signal.aborted
          return 'late'
        },
      },
      { budget: { maxTokens: 1000 } },
    )
    expect(res).toMatchObject({ mode: 'research', ok: false, decision: 'budget-exceeded', error: 'budget-exceeded: maxTokens', budget: { limit: 'maxTokens', spent: { tokens: 1200 } } })
    expect(aborted).toBe(true)
  })

  it('passes the budget to a runLoop-based runner and maps its budget-exceeded result', async () => {
    const sandboxClient = createScriptedSandboxClient({ respond: () => [usage(400)] })
    const res = await runDelegatedLoop(
      'dynamic',
      {
        dynamic: (signal, ctx) =>
          runLoop({ driver: createRefineDriver<string, number>({ maxIterations: 9 }), agentRun: spec, output: parse, validator: never, task: 't', ...(ctx?.budget ? { budget: ctx.budget } : {}), ctx: { sandboxClient, signal } }),
      },
      { budget: { maxTokens: 1000 } },
    )
    expect(res.ok).toBe(false)
    expect(res.decision).toBe('budget-exceeded')
    expect(res.budget?.spent.tokens).toBe(800)
  })
})
