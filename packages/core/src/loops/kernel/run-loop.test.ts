import { describe, expect, it } from 'vitest'
import type { LoopTraceEvent, SandboxEvent } from '@tangle-network/agent-runtime-core'
import {
  type AgentRunSpec,
  createFanoutVoteDriver,
  createRefineDriver,
  defaultSelectWinner,
  runLoop,
  type RunLoopOptions,
} from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'

type Verdict = { valid: boolean; score: number }

const finalText = (events: SandboxEvent[]): string => {
  const last = [...events].reverse().find((e) => e.type === 'result')
  return String(last?.data.finalText ?? '')
}
const textOutput = { parse: finalText }
const spec = (name: string, backendType?: string): AgentRunSpec<string> => ({
  name,
  profile: { name: `${name}-profile`, metadata: backendType ? { backendType } : {} },
  taskToPrompt: (t) => `${name}:${t}`,
})
const collect = (): { events: LoopTraceEvent[]; emit(e: LoopTraceEvent): void } => {
  const events: LoopTraceEvent[] = []
  return { events, emit: (e) => void events.push(e) }
}

describe('runLoop option validation', () => {
  const sandboxClient = createScriptedSandboxClient()
  const base: RunLoopOptions<string, string> = {
    driver: createRefineDriver<string>(),
    agentRun: spec('a'),
    output: textOutput,
    validator: { validate: () => ({ valid: true, score: 1 }) },
    task: 't',
    ctx: { sandboxClient },
  }
  const cases: [string, Partial<RunLoopOptions<string, string>> & Record<string, unknown>, string][] = [
    ['both runs', { agentRuns: [spec('b')] }, 'runLoop: pass exactly one of `agentRun` and `agentRuns`, not both'],
    ['no run', { agentRun: undefined }, 'runLoop: `agentRun` or `agentRuns` is required'],
    ['empty runs', { agentRun: undefined, agentRuns: [] }, '`agentRuns` is required to be a non-empty array'],
    ['zero maxIterations', { maxIterations: 0 }, 'runLoop: maxIterations must be a positive integer, got 0'],
    ['fractional maxIterations', { maxIterations: 1.5 }, 'maxIterations must be a positive integer, got 1.5'],
    ['negative maxConcurrency', { maxConcurrency: -2 }, 'runLoop: maxConcurrency must be a positive integer, got -2'],
    ['no create', { ctx: { sandboxClient: {} as never } }, 'runLoop: ctx.sandboxClient.create is required'],
    ['no driver', { driver: undefined as never }, 'runLoop: `driver` with plan() and decide() is required'],
    ['no parse', { output: {} as never }, 'runLoop: `output` with a parse(events) function is required'],
    ['no validator', { validator: undefined as never }, 'runLoop: `validator` with a validate(output, ctx) function is required'],
    ['bad prompt fn', { agentRun: { profile: {} } as never }, 'runLoop: agentRun.taskToPrompt must be a function'],
    ['bad profile in runs', { agentRun: undefined, agentRuns: [spec('a'), { taskToPrompt: String } as never] }, 'runLoop: agentRuns[1].profile is required'],
    ['empty runId', { runId: '' }, 'runLoop: runId must be a non-empty string, got ""'],
    ['maxIterations given as a string', { maxIterations: '5' as never }, 'runLoop: maxIterations must be a positive integer, got the string "5"'],
  ]
  for (const [label, patch, message] of cases) {
    it(`rejects ${label}`, async () => {
      const err = await runLoop({ ...base, ...patch } as RunLoopOptions<string, string>).catch((e) => e)
      expect(err.name).toBe('ValidationError')
      expect(err.code).toBe('validation')
      expect(err.message).toContain(message)
    })
  }
  it('creates nothing when the options are invalid', () => {
    expect(sandboxClient.created).toEqual([])
  })
})

describe('runLoop with the refine driver', () => {
  it('refines until the validator accepts, then stops with that winner', async () => {
    const sandboxClient = createScriptedSandboxClient({ respond: (prompt) => [{ type: 'result', data: { finalText: prompt } }] })
    const result = await runLoop({
      driver: createRefineDriver<number, string>({ maxIterations: 5, refineTask: (prior) => prior + 1 }),
      agentRun: { profile: { name: 'coder' }, taskToPrompt: (n) => `n=${n}` },
      output: textOutput,
      validator: { validate: (out) => ({ valid: Number(out.slice(2)) >= 3, score: Number(out.slice(2)) / 3 }) },
      task: 1,
      ctx: { sandboxClient },
      runId: 'loop-refine',
    })
    expect(result.runId).toBe('loop-refine')
    expect(result.decision).toBe('stop')
    expect(result.iterations.map((it) => it.task)).toEqual([1, 2, 3])
    expect(result.iterations.map((it) => it.parentIndex)).toEqual([undefined, 0, 1])
    expect(result.iterations.map((it) => it.roundIndex)).toEqual([0, 1, 2])
    expect(result.winner).toMatchObject({ iterationIndex: 2, output: 'n=3', task: 3, agentRunName: 'coder', verdict: { valid: true } })
    expect(sandboxClient.deleted).toEqual(sandboxClient.created)
    expect(sandboxClient.created).toHaveLength(3)
  })

  it('retries the same task after a worker error and picks the best invalid candidate at its cap', async () => {
    const sandboxClient = createScriptedSandboxClient({
      respond: (prompt, { call }) => {
        if (call === 0) throw new Error('harness crashed')
        return [{ type: 'result', data: { finalText: `${prompt}#${call}` } }]
      },
    })
    const result = await runLoop({
      driver: createRefineDriver<string, string>({ maxIterations: 3 }),
      agentRun: spec('a'),
      output: textOutput,
      validator: { validate: (out) => ({ valid: false, score: out.endsWith('#1') ? 0.6 : 0.2 }) },
      task: 'fix',
      ctx: { sandboxClient },
    })
    expect(result.runId).toMatch(/^loop-[0-9a-z]{8}$/)
    expect(result.iterations).toHaveLength(3)
    expect(result.iterations[0].error).toBe('harness crashed')
    expect(result.iterations.map((it) => it.task)).toEqual(['fix', 'fix', 'fix'])
    expect(result.decision).toBe('stop')
    expect(result.winner?.iterationIndex).toBe(1)
    expect(result.winner?.verdict?.valid).toBe(false)
  })
})

describe('runLoop with the fan-out-vote driver', () => {
  const scores = [0.5, 0.9, 0.7, 0.7]
  const valid = [true, false, true, true]
  const run = (selectWinner: boolean, allInvalid = false) => {
    const sandboxClient = createScriptedSandboxClient({ respond: (_p, { call }) => [{ type: 'result', data: { finalText: String(call) } }] })
    const driver = createFanoutVoteDriver<string, string, Verdict>({ n: 4 })
    return runLoop({
      driver,
      agentRun: spec('a'),
      output: textOutput,
      validator: { validate: (out) => ({ valid: !allInvalid && valid[Number(out)], score: scores[Number(out)] }) },
      task: 'go',
      ctx: { sandboxClient },
      maxConcurrency: 1,
      ...(selectWinner ? { selectWinner: driver.selectWinner } : {}),
    })
  }

  it('picks the best valid candidate, ties to the lowest index', async () => {
    const result = await run(true)
    expect(result.decision).toBe('pick-winner')
    expect(result.iterations).toHaveLength(4)
    expect(result.winner).toMatchObject({ iterationIndex: 2, output: '2', verdict: { valid: true, score: 0.7 } })
  })

  it("fails when nothing is valid, and the driver's vote never crowns an invalid candidate", async () => {
    for (const explicit of [true, false]) {
      const voted = await run(explicit, true)
      expect(voted.decision).toBe('fail')
      expect(voted.winner).toBeUndefined()
    }
  })

  it('lets a caller opt into the spec default, which falls back to the best invalid score', async () => {
    const sandboxClient = createScriptedSandboxClient({ respond: (_p, { call }) => [{ type: 'result', data: { finalText: String(call) } }] })
    const result = await runLoop({
      driver: createFanoutVoteDriver<string, string, Verdict>({ n: 4 }),
      agentRun: spec('a'),
      output: textOutput,
      validator: { validate: (out) => ({ valid: false, score: scores[Number(out)] }) },
      task: 'go',
      ctx: { sandboxClient },
      selectWinner: defaultSelectWinner,
    })
    expect(result.decision).toBe('fail')
    expect(result.winner?.iterationIndex).toBe(1)
  })

  it('rejects n < 1', () => {
    for (const n of [0, -1, 1.5]) {
      expect(() => createFanoutVoteDriver({ n })).toThrowError(expect.objectContaining({ code: 'validation', message: `n must be >= 1, got ${n}` }))
    }
  })

  it('rejects a bad refine cap', () => {
    expect(() => createRefineDriver({ maxIterations: 0 })).toThrowError(
      expect.objectContaining({ code: 'validation', message: 'createRefineDriver: maxIterations must be a positive integer, got 0' }),
    )
  })
})

describe('runLoop scheduling', () => {
  it('rotates agentRuns round-robin and builds each sandbox from its spec', async () => {
    const sandboxClient = createScriptedSandboxClient()
    const withOverrides: AgentRunSpec<string> = {
      ...spec('c'),
      sandboxOverrides: (task) => ({ env: { TASK: task }, backend: { type: 'codex', profile: 'ignored' } }),
    }
    const result = await runLoop({
      driver: createFanoutVoteDriver<string, string>({ n: 5 }),
      agentRuns: [spec('a', 'claude-code'), spec('b'), withOverrides],
      output: textOutput,
      validator: { validate: () => ({ valid: true, score: 1 }) },
      task: 'job',
      ctx: { sandboxClient },
    })
    expect(result.iterations.map((it) => it.agentRunName)).toEqual(['a', 'b', 'c', 'a', 'b'])
    expect(result.iterations.map((it) => it.output)).toEqual(['a:job', 'b:job', 'c:job', 'a:job', 'b:job'])
    const backends = sandboxClient.boxes.map((b) => b.createOptions?.backend)
    expect(backends.map((b) => b?.type)).toEqual(['claude-code', 'opencode', 'codex', 'claude-code', 'opencode'])
    expect(backends[2]?.profile).toEqual(withOverrides.profile)
    expect(sandboxClient.boxes[2].createOptions?.env).toEqual({ TASK: 'job' })
  })

  it('never runs more than maxConcurrency iterations at once', async () => {
    for (const maxConcurrency of [1, 3]) {
      const sandboxClient = createScriptedSandboxClient({ delayMs: 3 })
      const result = await runLoop({
        driver: createFanoutVoteDriver<string, string>({ n: 7 }),
        agentRun: spec('a'),
        output: textOutput,
        validator: { validate: () => ({ valid: true, score: 1 }) },
        task: 't',
        ctx: { sandboxClient },
        maxConcurrency,
      })
      expect(result.iterations).toHaveLength(7)
      expect(sandboxClient.maxInFlight).toBe(maxConcurrency)
    }
  })

  it('trims a later round at maxIterations, says so in the plan, and decides once more', async () => {
    const trace = collect()
    const decided: number[] = []
    const result = await runLoop({
      driver: {
        name: 'greedy',
        plan: (t: string, h) => Array.from({ length: h.length === 0 ? 2 : 10 }, () => t),
        decide: (h) => {
          decided.push(h.length)
          return 'continue'
        },
      },
      agentRun: spec('a'),
      output: textOutput,
      validator: { validate: () => ({ valid: true, score: 1 }) },
      task: 't',
      ctx: { sandboxClient: createScriptedSandboxClient(), traceEmitter: trace },
      maxIterations: 4,
    })
    expect(result.iterations).toHaveLength(4)
    expect(result.decision).toBe('continue')
    expect(decided).toEqual([2, 4, 4])
    const plans = trace.events.filter((e) => e.kind === 'loop.plan').map((e) => e.payload)
    expect(plans[0]).toMatchObject({ roundIndex: 0, plannedCount: 2, moveKind: 'fanout', childIndices: [0, 1] })
    expect(plans[1]).toMatchObject({ roundIndex: 1, plannedCount: 2, rationale: '[trimmed 10→2 by maxIterations 4]', childIndices: [2, 3] })
    expect(plans[2]).toEqual({ roundIndex: 2, plannedCount: 0, moveKind: 'stop', rationale: 'maxIterations (4) reached', parentIndex: 0, childIndices: [] })
    expect(trace.events.slice(-2).map((e) => [e.kind, 'roundIndex' in e.payload ? e.payload.roundIndex : undefined])).toEqual([
      ['loop.decision', 2],
      ['loop.ended', undefined],
    ])
  })

  it('refuses a fan-out vote wider than maxIterations (n 20 under the default cap of 10) before running any', async () => {
    const sandboxClient = createScriptedSandboxClient()
    const err = await runLoop({
      driver: createFanoutVoteDriver<string, string>({ n: 20 }),
      agentRun: spec('a'),
      output: textOutput,
      validator: { validate: () => ({ valid: true, score: 1 }) },
      task: 't',
      ctx: { sandboxClient },
    }).catch((e) => e)
    expect(err).toMatchObject({ name: 'ValidationError', code: 'validation' })
    expect(err.message).toBe(
      'runLoop: driver fanout-vote planned 20 iterations in round 0, more than the 10 left of maxIterations (10); raise maxIterations to at least 20 or plan fewer (e.g. createFanoutVoteDriver({ n: 10 })).',
    )
    expect(sandboxClient.created).toEqual([])
  })

  it('trims an adaptive first round (no exact plan) and records the cut instead of failing', async () => {
    const trace = collect()
    const result = await runLoop({
      driver: { name: 'adaptive', plan: (t: string, h) => (h.length === 0 ? [t, t, t] : []), decide: () => 'done' },
      agentRun: spec('a'),
      output: textOutput,
      validator: { validate: () => ({ valid: true, score: 1 }) },
      task: 't',
      ctx: { sandboxClient: createScriptedSandboxClient(), traceEmitter: trace },
      maxIterations: 2,
    })
    expect(result.iterations).toHaveLength(2)
    expect(trace.events.find((e) => e.kind === 'loop.plan')?.payload).toMatchObject({ plannedCount: 2, rationale: '[trimmed 3→2 by maxIterations 2]' })
  })
})

describe('runLoop winner precedence', () => {
  // Three candidates scored 0.2, 0.9 and 0.5; all valid.
  const scores = [0.2, 0.9, 0.5]
  const setup = () => ({
    agentRun: spec('w'),
    output: textOutput,
    validator: { validate: (_o: string, ctx: { iteration: number }) => ({ valid: true, score: scores[ctx.iteration] ?? 0 }) },
    task: 't',
    ctx: { sandboxClient: createScriptedSandboxClient() },
  })

  it("uses the driver's own selectWinner when the caller passes none", async () => {
    // A vote that prefers the lowest score, so the default rule (highest score) would disagree.
    const driver = createFanoutVoteDriver<string, string>({
      n: 3,
      selector: (its) => [...its].sort((a, b) => (a.verdict?.score ?? 0) - (b.verdict?.score ?? 0))[0],
    })
    const result = await runLoop({ ...setup(), driver })
    expect(result.winner?.iterationIndex).toBe(0)
    expect(result.winner?.verdict?.score).toBe(0.2)
  })

  it("prefers the caller's selectWinner over the driver's", async () => {
    const driver = createFanoutVoteDriver<string, string>({ n: 3, selector: (its) => its[0] })
    const result = await runLoop({ ...setup(), driver, selectWinner: (its) => its[2] })
    expect(result.winner?.iterationIndex).toBe(2)
  })

  it('falls back to the highest valid score without any rule', async () => {
    const fanout = createFanoutVoteDriver<string, string>({ n: 3 })
    const plain = { plan: fanout.plan, decide: fanout.decide, describePlan: fanout.describePlan }
    const result = await runLoop({ ...setup(), driver: plain })
    expect(result.winner?.iterationIndex).toBe(1)
  })
})

describe('runLoop failureReason', () => {
  const base = {
    agentRun: spec('a'),
    output: textOutput,
    task: 't',
    driver: createFanoutVoteDriver<string, string>({ n: 3 }),
  }

  it('says why when every iteration failed, with the distinct errors', async () => {
    const sandboxClient = createScriptedSandboxClient({
      respond: () => {
        throw new Error('command harness: "claude" not found (ENOENT)')
      },
    })
    const result = await runLoop({ ...base, validator: { validate: () => ({ valid: true, score: 1 }) }, ctx: { sandboxClient } })
    expect(result.winner).toBeUndefined()
    expect(result.failureReason).toMatch(/^all 3 iterations failed: .*command harness: "claude" not found \(ENOENT\).* \(×3\)$/)
  })

  it('says why when candidates ran but none was valid, with the validator notes', async () => {
    const result = await runLoop({
      ...base,
      validator: { validate: (_out, { iteration }) => ({ valid: false, score: 0, notes: iteration === 0 ? 'tests failed' : 'no-op diff' }) },
      ctx: { sandboxClient: createScriptedSandboxClient() },
    })
    expect(result.decision).toBe('fail')
    expect(result.failureReason).toBe('no valid candidate among 3 iterations: no-op diff (×2); tests failed')
  })

  it('is absent when there is a winner', async () => {
    const result = await runLoop({ ...base, validator: { validate: () => ({ valid: true, score: 1 }) }, ctx: { sandboxClient: createScriptedSandboxClient() } })
    expect(result.winner).toBeDefined()
    expect(result).not.toHaveProperty('failureReason')
  })
})
