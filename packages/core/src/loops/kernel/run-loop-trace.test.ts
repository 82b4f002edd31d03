import { describe, expect, it } from 'vitest'
import { canonicalJson, fnv1a32, type LoopTraceEvent, type SandboxEvent } from '@tangle-network/agent-runtime-core'
import { type AgentRunSpec, createRefineDriver, type Driver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'

const finalText = (events: SandboxEvent[]): string => String(events.find((e) => e.type === 'result')?.data.finalText ?? '')
const spec: AgentRunSpec<string> = { name: 'w', profile: { name: 'p' }, taskToPrompt: (t) => t }
const tick = (): (() => number) => {
  let t = 1000
  return () => t++
}

describe('runLoop trace events', () => {
  it('emits the documented sequence with typed payloads', async () => {
    const events: LoopTraceEvent[] = []
    const long = 'x'.repeat(300)
    const sandboxClient = createScriptedSandboxClient({ respond: (p) => [{ type: 'result', data: { finalText: p === 'b' ? long : p } }] })
    const result = await runLoop({
      driver: createRefineDriver<string, string>({ maxIterations: 2, refineTask: () => 'b' }),
      agentRun: spec,
      output: { parse: finalText },
      validator: { validate: (o) => ({ valid: false, score: o.length / 1000, notes: 'meh' }) },
      task: 'a',
      ctx: { sandboxClient, traceEmitter: { emit: (e) => void events.push(e) } },
      runId: 'loop-trace',
      now: tick(),
    })
    expect(events.map((e) => e.kind)).toEqual([
      'loop.started',
      'loop.plan',
      'loop.iteration.started',
      'loop.iteration.dispatch',
      'loop.iteration.ended',
      'loop.decision',
      'loop.plan',
      'loop.iteration.started',
      'loop.iteration.dispatch',
      'loop.iteration.ended',
      'loop.decision',
      'loop.ended',
    ])
    expect(events.every((e) => e.runId === 'loop-trace')).toBe(true)
    const stamps = events.map((e) => e.timestamp)
    expect(stamps).toEqual([...stamps].sort((x, y) => x - y))
    expect(events[0].payload).toEqual({ driver: 'refine', agentRunNames: ['w'], maxIterations: 10, maxConcurrency: 4 })
    expect(events[1].payload).toMatchObject({ roundIndex: 0, plannedCount: 1, moveKind: 'refine', childIndices: [0] })
    expect(events[1].payload).not.toHaveProperty('parentIndex', expect.anything())
    expect(events[2].payload).toMatchObject({ iterationIndex: 0, roundIndex: 0, agentRunName: 'w', taskHash: fnv1a32(canonicalJson('a')), groupId: 'loop-trace/round-0' })
    expect(events[3].payload).toEqual({ iterationIndex: 0, placement: 'sibling', sandboxId: 'scripted-0' })
    const ended = events[9].payload as unknown as Record<string, unknown>
    expect(ended).toMatchObject({ iterationIndex: 1, roundIndex: 1, parentIndex: 0, outputHash: fnv1a32(canonicalJson(long)), costUsd: 0 })
    expect(ended.outputPreview).toBe(`${'x'.repeat(280)}…`)
    expect(ended.tokenUsage).toBeUndefined()
    expect(ended.verdict).toEqual({ valid: false, score: 0.3, notes: 'meh' })
    expect(events[6].payload).toMatchObject({ roundIndex: 1, moveKind: 'refine', parentIndex: 0, childIndices: [1] })
    expect(events[10].payload).toEqual({ roundIndex: 1, decision: 'stop', historyLength: 2 })
    expect(events[11].payload).toMatchObject({ winnerIterationIndex: 1, totalCostUsd: 0, iterations: 2, decision: 'stop' })
    expect(result.durationMs).toBe((events[11].timestamp as number) - 1000 - 1)
  })

  it('keeps running when the trace sink throws or rejects, and does not wait for loop.ended', async () => {
    let calls = 0
    const result = await runLoop({
      driver: createRefineDriver<string, string>({ maxIterations: 1 }),
      agentRun: spec,
      output: { parse: finalText },
      validator: { validate: () => ({ valid: true, score: 1 }) },
      task: 'a',
      ctx: {
        sandboxClient: createScriptedSandboxClient(),
        traceEmitter: {
          emit: (e) => {
            calls++
            if (e.kind === 'loop.ended') return new Promise<void>(() => undefined)
            if (calls % 2 === 0) throw new Error('sink down')
            return Promise.reject(new Error('sink rejected'))
          },
        },
      },
    })
    expect(result.winner?.output).toBe('a')
    expect(calls).toBe(7)
  })

  it('infers parents from the branch point unless the driver declares one', async () => {
    const events: LoopTraceEvent[] = []
    const scores: Record<string, [boolean, number]> = { r0a: [true, 0.4], r0b: [true, 0.8], r0c: [false, 0.99], r1: [false, 0.1], r2: [false, 0.1] }
    const rounds = [['r0a', 'r0b', 'r0c'], ['r1'], ['r2'], []]
    let round = 0
    let declared: number | undefined
    const driver: Driver<string, string> = {
      plan: (_t, history) => {
        round = history.length === 0 ? 0 : round + 1
        declared = round === 2 ? 0 : undefined
        return rounds[round]
      },
      decide: () => 'continue',
      describePlan: () => (declared === undefined ? undefined : { kind: 'select', parentIndex: declared, rationale: 'back to 0' }),
    }
    const result = await runLoop({
      driver,
      agentRun: spec,
      output: { parse: finalText },
      validator: { validate: (o) => ({ valid: scores[o][0], score: scores[o][1] }) },
      task: 'root',
      ctx: { sandboxClient: createScriptedSandboxClient(), traceEmitter: { emit: (e) => void events.push(e) } },
    })
    expect(result.iterations.map((it) => it.parentIndex)).toEqual([undefined, undefined, undefined, 1, 0])
    const plans = events.filter((e) => e.kind === 'loop.plan').map((e) => e.payload)
    expect(plans.map((p) => [p.moveKind, p.parentIndex, p.childIndices])).toEqual([
      ['fanout', undefined, [0, 1, 2]],
      ['refine', 1, [3]],
      ['select', 0, [4]],
      ['stop', 1, []],
    ])
    expect(plans[2].rationale).toBe('back to 0')
    expect(result.winner?.iterationIndex).toBe(1)
  })

  it('falls back to the latest iteration as branch point when none is valid', async () => {
    let n = 0
    const result = await runLoop({
      driver: { plan: () => (n++ === 0 ? ['a', 'b'] : n === 2 ? ['c'] : []), decide: () => 'continue' },
      agentRun: spec,
      output: { parse: finalText },
      validator: { validate: () => ({ valid: false, score: 0.5 }) },
      task: 'a',
      ctx: { sandboxClient: createScriptedSandboxClient() },
    })
    expect(result.iterations[2].parentIndex).toBe(1)
  })
})

describe('runLoop cost and tokens', () => {
  it('sums usage from every alias, takes a final result as the total, and reports the ledger without double counting', async () => {
    const observed: unknown[] = []
    const events: LoopTraceEvent[] = []
    const sandboxClient = createScriptedSandboxClient({
      respond: () => [
        { type: 'llm_call', data: { model: 'glm', tokensIn: 10, tokensOut: 5, costUsd: 0.01 } },
        { type: 'usage', data: { prompt_tokens: 3, completion_tokens: 2, cost_usd: 0.002 } },
        { type: 'cost.usage', data: { inputTokens: 1, outputTokens: 1, totalCostUsd: 0.001 } },
        { type: 'message.completed', data: { usage: { input_tokens: 4, output_tokens: 4 } } },
        // The sandbox's result restates the turn's totals (18/12/$0.013 streamed so far).
        { type: 'result', data: { finalText: 'ok', usage: { inputTokens: 20, outputTokens: 20, cost: 0.016 } } },
        { type: 'usage', data: { tokensIn: Number.NaN, costUsd: Number.POSITIVE_INFINITY } },
      ],
    })
    const result = await runLoop({
      driver: { plan: (t: string, h) => (h.length ? [] : [t, t]), decide: () => 'done' },
      agentRun: spec,
      output: { parse: finalText },
      validator: { validate: () => ({ valid: true, score: 1 }) },
      task: 'a',
      ctx: { sandboxClient, runHandle: { observe: (e) => void observed.push(e) }, traceEmitter: { emit: (e) => void events.push(e) } },
      maxConcurrency: 1,
    })
    for (const it of result.iterations) {
      expect(it.tokenUsage).toEqual({ input: 20, output: 20 })
      expect(it.costUsd).toBeCloseTo(0.016, 10)
    }
    expect(result.tokenUsage).toEqual({ input: 40, output: 40 })
    expect(result.costUsd).toBeCloseTo(0.032, 10)
    expect(observed).toHaveLength(10)
    expect(observed[0]).toMatchObject({ type: 'llm_call', model: 'glm', tokensIn: 10, tokensOut: 5, costUsd: 0.01 })
    expect(observed[1]).toMatchObject({ type: 'llm_call', model: 'w', tokensIn: 3, tokensOut: 2 })
    // The result adds only what the steps had not reported, so the ledger sums to the totals.
    expect(observed[4]).toMatchObject({ tokensIn: 2, tokensOut: 8 })
    expect((observed[4] as { costUsd: number }).costUsd).toBeCloseTo(0.003, 10)
    const ledger = observed as { tokensIn: number; tokensOut: number; costUsd: number }[]
    expect(ledger.reduce((a, e) => a + e.tokensIn, 0)).toBe(40)
    expect(ledger.reduce((a, e) => a + e.tokensOut, 0)).toBe(40)
    expect(ledger.reduce((a, e) => a + e.costUsd, 0)).toBeCloseTo(0.032, 10)
    const ended = events.filter((e) => e.kind === 'loop.iteration.ended').map((e) => e.payload)
    expect(ended[0].tokenUsage).toEqual({ input: 20, output: 20 })
    const loopEnded = events.find((e) => e.kind === 'loop.ended')
    expect(loopEnded?.payload.totalCostUsd).toBeCloseTo(0.032, 10)
  })
})

describe('runLoop worker failures', () => {
  it('records create, stream, parse and validate failures on their iterations and keeps going', async () => {
    const sandboxClient = createScriptedSandboxClient({
      failCreate: (_o, attempt) => attempt === 0,
      respond: (prompt) => {
        if (prompt === 'stream') throw new Error('stream broke')
        return [{ type: 'result', data: { finalText: prompt } }]
      },
    })
    const result = await runLoop({
      driver: { plan: (_t: string, h) => (h.length ? [] : ['create', 'stream', 'parse', 'validate', 'fine']), decide: () => 'done' },
      agentRun: spec,
      output: {
        parse: (ev) => {
          if (finalText(ev) === 'parse') throw new Error('unparseable')
          return finalText(ev)
        },
      },
      validator: {
        validate: (o) => {
          if (o === 'validate') throw new Error('checker crashed')
          return { valid: true, score: 0.5 }
        },
      },
      task: 'x',
      ctx: { sandboxClient },
      maxConcurrency: 1,
    })
    expect(result.iterations.map((it) => it.error)).toEqual([
      'scripted sandbox: create #0 failed',
      'stream broke',
      'unparseable',
      'checker crashed',
      undefined,
    ])
    expect(result.iterations[3].output).toBe('validate')
    expect(result.winner?.iterationIndex).toBe(4)
    expect(result.decision).toBe('done')
    expect(sandboxClient.deleted).toEqual(['scripted-1', 'scripted-2', 'scripted-3', 'scripted-4'])
  })

  it('validates while the box is alive, and leaves boxes it does not own', async () => {
    const base = createScriptedSandboxClient({
      respond: (prompt, { box }) => {
        box.files.set('out.txt', prompt.toUpperCase())
        return [{ type: 'result', data: {} }]
      },
    })
    const seen: string[] = []
    const result = await runLoop({
      driver: createRefineDriver<string, string>({ maxIterations: 1 }),
      agentRun: spec,
      output: { parse: async (_e, ctx) => (await ctx?.box?.read?.('out.txt')) ?? '' },
      validator: {
        validate: async (o, ctx) => {
          seen.push(`${ctx.iteration}:${await ctx.box?.read?.('out.txt')}`)
          return { valid: o === 'HELLO', score: 1 }
        },
      },
      task: 'hello',
      ctx: {
        sandboxClient: {
          create: (o, r) => base.create(o, r),
          ownsBox: () => false,
          describePlacement: () => {
            throw new Error('no placement')
          },
        },
      },
    })
    expect(seen).toEqual(['0:HELLO'])
    expect(result.winner?.verdict?.valid).toBe(true)
    expect(result.iterations[0].placement).toEqual({ kind: 'sibling', sandboxId: 'scripted-0' })
    expect(base.deleteCalls).toEqual([])
  })

  it('rejects when the driver itself fails (fail-loud)', async () => {
    const err = await runLoop({
      driver: { name: 'bad', plan: () => 'nope' as never, decide: () => 'done' },
      agentRun: spec,
      output: { parse: finalText },
      validator: { validate: () => ({ valid: true, score: 1 }) },
      task: 'x',
      ctx: { sandboxClient: createScriptedSandboxClient() },
    }).catch((e) => e)
    expect(err).toMatchObject({ code: 'validation', message: 'runLoop: driver bad plan() must return an array of tasks, got string' })
  })
})
