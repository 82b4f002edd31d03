import type { SandboxEvent } from '@tangle-network/agent-runtime-core'
import { ConfigError, createBudgetBreaker, createMemoryBudgetLedger, runDelegatedLoop } from '@tangle-network/agent-runtime-core'
import { createRefineDriver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import { describe, expect, it } from 'vitest'

const DAY = '2026-03-01'
const clock = () => Date.UTC(2026, 2, 1, 9)
const usage = (tokens: number): SandboxEvent => ({ type: 'llm_call', data: { tokensIn: tokens, tokensOut: 0, costUsd: 0 } })

describe('breaker.reserve(): one reservation per unit of work', () => {
  it('holds the peak against the cap, consumes it on record, returns the rest on settle, and refuses past the cap', async () => {
    const ledger = createMemoryBudgetLedger()
    const breaker = createBudgetBreaker({ ledger, dailyTokenCap: 1000, clock })
    await ledger.notePeak('default', { tokens: 400, costUsd: 0 })
    const a = await breaker.reserve()
    const b = await breaker.reserve()
    expect([a.status.ok, b.status.ok]).toEqual([true, true])
    expect((await ledger.totals('default', DAY)).tokens).toBe(800)
    // A third would need 400 more than the 200 left: refused while the two are held.
    const c = await breaker.reserve()
    expect(c.status).toMatchObject({ ok: false, halt: 'daily-cap' })
    await a.record({ tokens: 100 })
    await a.settle()
    await a.settle()
    expect((await ledger.totals('default', DAY)).tokens).toBe(500)
    await b.record({ tokens: 450 })
    await b.settle()
    expect((await ledger.totals('default', DAY)).tokens).toBe(550)
    expect(await ledger.peak('default')).toEqual({ tokens: 450, costUsd: 0 })
  })
})

describe('runDelegatedLoop with a budget breaker', () => {
  it('records every usage the runner reports and settles the reservation; the next run that cannot fit is halted before it starts', async () => {
    const ledger = createMemoryBudgetLedger()
    const breaker = createBudgetBreaker({ ledger, dailyTokenCap: 1000, clock, scope: 'research' })
    let runs = 0
    const registry = {
      research: async (_signal: AbortSignal, context?: { recordUsage(u: { tokens: number; costUsd?: number }): void }) => {
        runs++
        context?.recordUsage({ tokens: 250, costUsd: 0.1 })
        context?.recordUsage({ tokens: 250 })
        return 'ok'
      },
    }
    const first = await runDelegatedLoop('research', registry, { breaker, now: clock })
    expect(first).toMatchObject({ ok: true, output: 'ok' })
    expect(await ledger.totals('research', DAY)).toEqual({ tokens: 500, costUsd: 0.1 })
    expect(await runDelegatedLoop('research', registry, { breaker, now: clock })).toMatchObject({ ok: true })
    const third = await runDelegatedLoop('research', registry, { breaker, now: clock })
    expect(third).toMatchObject({ ok: false, halted: { halt: 'daily-cap' } })
    expect(runs).toBe(2)
    expect((await ledger.totals('research', DAY)).tokens).toBe(1000)
  })

  it('stops a runner in flight once a reported usage takes the day over its cap (the guard after each record)', async () => {
    const ledger = createMemoryBudgetLedger()
    const breaker = createBudgetBreaker({ ledger, dailyTokenCap: 1000, clock, scope: 'audit' })
    let aborted = false
    const res = await runDelegatedLoop(
      'audit',
      {
        audit: async (signal, context) => {
          context?.recordUsage({ tokens: 600 })
          context?.recordUsage({ tokens: 600 })
          // Without the breaker's guard nothing ends this wait.
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
          aborted = true
          return 'never finished'
        },
      },
      { breaker, now: clock },
    )
    expect(res).toMatchObject({ ok: false, halted: { halt: 'daily-cap' } })
    expect(res.halted?.reason).toContain('daily token cap 1000 crossed')
    expect(aborted).toBe(true)
    expect((await ledger.totals('audit', DAY)).tokens).toBe(1200)
  }, 20_000)

  it('halts on the kill-switch before the runner starts', async () => {
    const breaker = createBudgetBreaker({ ledger: createMemoryBudgetLedger(), killSwitch: () => 'KILL file', clock })
    let ran = false
    const res = await runDelegatedLoop('code', { code: async () => (ran = true) }, { breaker, now: clock })
    expect(res).toMatchObject({ ok: false, halted: { halt: 'kill-switch', reason: 'KILL file' } })
    expect(ran).toBe(false)
  })

  it('hands the breaker to a runLoop-based runner: its iterations reserve and record in the ledger, and a kill mid-run halts it', async () => {
    const ledger = createMemoryBudgetLedger()
    let killed = false
    const breaker = createBudgetBreaker({ ledger, dailyTokenCap: 100_000, killSwitch: () => killed && 'KILL', clock, scope: 'code' })
    const sandboxClient = createScriptedSandboxClient({
      respond: (_p, { call }) => {
        if (call === 2) killed = true
        return [usage(100)]
      },
    })
    const res = await runDelegatedLoop(
      'code',
      {
        code: (signal, context) =>
          runLoop({
            driver: createRefineDriver<string, number>({ maxIterations: 10 }),
            agentRun: { name: 'w', profile: { name: 'p' }, taskToPrompt: (t) => t },
            output: { parse: (events: SandboxEvent[]) => events.length },
            validator: { validate: () => ({ valid: false, score: 0 }) },
            task: 't',
            maxIterations: 10,
            ...(context?.breaker ? { breaker: context.breaker } : {}),
            ctx: { sandboxClient, signal },
          }),
      },
      { breaker, now: clock },
    )
    expect(res).toMatchObject({ ok: false, halted: { halt: 'kill-switch', reason: 'KILL' } })
    expect(sandboxClient.created).toHaveLength(3)
    expect(await ledger.totals('code', DAY)).toEqual({ tokens: 300, costUsd: 0 })
  })

  it('rejects a breaker without check/record/settle with a ConfigError naming the fix', async () => {
    await expect(runDelegatedLoop('code', { code: async () => 1 }, { breaker: { check: 1 } as never })).rejects.toThrow(ConfigError)
  })
})
