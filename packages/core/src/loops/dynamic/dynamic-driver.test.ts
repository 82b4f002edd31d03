import { PlannerError, ValidationError } from '@tangle-network/agent-runtime-core'
import type { AgentRunSpec, LoopTraceEvent } from '@tangle-network/agent-runtime-core'
import {
  type PlannerContext,
  type TopologyMove,
  createDynamicDriver,
  runLoop,
  summarizeHistory,
} from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import { describe, expect, it } from 'vitest'

const SCORES: Record<string, { valid: boolean; score: number }> = {
  draft: { valid: false, score: 0.3 },
  improve: { valid: false, score: 0.5 },
  'variant-a': { valid: true, score: 0.9 },
  'variant-b': { valid: true, score: 0.6 },
}

const claude: AgentRunSpec<string> = { name: 'claude', profile: { name: 'claude', metadata: { backendType: 'claude-code' } }, taskToPrompt: (t) => t }
const codex: AgentRunSpec<string> = { name: 'codex', profile: { name: 'codex', metadata: { backendType: 'codex' } }, taskToPrompt: (t) => t }

function setup() {
  const sandbox = createScriptedSandboxClient({
    respond: (prompt) => [{ type: 'result', data: { finalText: prompt, usage: { inputTokens: 200, outputTokens: 50 } } }],
  })
  const events: LoopTraceEvent[] = []
  return {
    sandbox,
    events,
    base: {
      agentRuns: [claude, codex],
      output: { parse: (evs: { data: Record<string, unknown> }[]) => String(evs.at(-1)?.data.finalText) },
      validator: { validate: (out: string) => SCORES[out] ?? { valid: false, score: 0 } },
      task: 'root task',
      ctx: { sandboxClient: sandbox, traceEmitter: { emit: (e: LoopTraceEvent) => void events.push(e) } },
    },
  }
}

function scripted(moves: TopologyMove<string>[], seen: PlannerContext<string, string>[] = []) {
  return (ctx: PlannerContext<string, string>) => {
    seen.push(ctx)
    return moves[ctx.roundIndex] ?? { kind: 'stop' as const, rationale: 'script ended' }
  }
}

function plans(events: LoopTraceEvent[]) {
  return events.flatMap((e) => (e.kind === 'loop.plan' ? [e.payload] : []))
}

describe('createDynamicDriver over runLoop', () => {
  it('runs an adaptive refine → refine → fanout → stop loop with harness rotation', async () => {
    const { sandbox, events, base } = setup()
    const seen: PlannerContext<string, string>[] = []
    const driver = createDynamicDriver<string, string>({
      planner: scripted(
        [
          { kind: 'refine', task: 'draft', rationale: 'first attempt' },
          { kind: 'refine', task: 'improve', rationale: 'fix the draft', parentIndex: 0 },
          { kind: 'fanout', tasks: ['variant-a', 'variant-b'], rationale: 'try two variants' },
          { kind: 'stop', rationale: 'variant-a is valid' },
        ],
        seen,
      ),
    })
    const result = await runLoop({ ...base, driver })

    expect(result.iterations.map((it) => it.task)).toEqual(['draft', 'improve', 'variant-a', 'variant-b'])
    expect(result.iterations.map((it) => it.agentRunName)).toEqual(['claude', 'codex', 'claude', 'codex'])
    expect(sandbox.boxes.map((b) => b.createOptions?.backend?.type)).toEqual(['claude-code', 'codex', 'claude-code', 'codex'])
    expect(result.winner?.iterationIndex).toBe(2)
    expect(result.winner?.verdict?.score).toBe(0.9)
    expect(result.decision).toBe('done')
    expect(result.tokenUsage).toEqual({ input: 800, output: 200 })

    expect(seen.map((c) => [c.iterationsSpent, c.iterationsRemaining, c.roundIndex])).toEqual([
      [0, 8, 0],
      [1, 7, 1],
      [2, 6, 2],
      [4, 4, 3],
    ])
    expect(seen[3].history.map((it) => it.index)).toEqual([0, 1, 2, 3])
    expect(seen[0].task).toBe('root task')

    const p = plans(events)
    expect(p.map((x) => x.moveKind)).toEqual(['refine', 'refine', 'fanout', 'stop'])
    expect(p.map((x) => x.rationale)).toEqual(['first attempt', 'fix the draft', 'try two variants', 'variant-a is valid'])
    expect(p[0].childIndices).toEqual([0])
    expect(p[1].parentIndex).toBe(0)
    expect(p[2].childIndices).toEqual([2, 3])
    expect(driver.lastMove()).toEqual({ kind: 'stop', rationale: 'variant-a is valid' })
  })

  it('turns the move after the cap into a stop without calling the planner', async () => {
    const { events, base } = setup()
    let calls = 0
    const driver = createDynamicDriver<string, string>({
      maxIterations: 3,
      planner: () => {
        calls++
        return { kind: 'refine', task: 'draft' }
      },
    })
    const result = await runLoop({ ...base, driver })
    expect(calls).toBe(3)
    expect(result.iterations).toHaveLength(3)
    expect(result.decision).toBe('done')
    const last = plans(events).at(-1)
    expect(last).toMatchObject({ moveKind: 'stop', rationale: 'maxIterations (3) reached', plannedCount: 0 })
  })

  it('clamps a fanout over maxFanout and says so in the rationale', async () => {
    const { events, base } = setup()
    const driver = createDynamicDriver<string, string>({
      maxFanout: 2,
      planner: scripted([{ kind: 'fanout', tasks: ['variant-a', 'variant-b', 'draft', 'draft', 'draft', 'draft'], rationale: 'go wide' }]),
    })
    const result = await runLoop({ ...base, driver })
    expect(result.iterations.map((it) => it.task)).toEqual(['variant-a', 'variant-b'])
    expect(plans(events)[0]).toMatchObject({ moveKind: 'fanout', plannedCount: 2, rationale: 'go wide [clamped 6→2]' })
    const bare = createDynamicDriver<string, string>({ maxFanout: 1, planner: () => ({ kind: 'fanout', tasks: ['a', 'b'] }) })
    await bare.plan('t', [])
    expect(bare.describePlan()?.rationale).toBe('[clamped 2→1]')
  })

  it('trims a fanout that would overrun maxIterations, so the cap is a hard one', async () => {
    const { events, base } = setup()
    let calls = 0
    const driver = createDynamicDriver<string, string>({
      maxIterations: 3,
      planner: ({ history }) => {
        calls++
        return history.length === 0 ? { kind: 'refine', task: 'draft' } : { kind: 'fanout', tasks: ['variant-a', 'variant-b', 'improve', 'draft'], rationale: 'go wide' }
      },
    })
    const result = await runLoop({ ...base, driver })
    expect(result.iterations.map((it) => it.task)).toEqual(['draft', 'variant-a', 'variant-b'])
    expect(calls).toBe(2)
    expect(plans(events).map((p) => [p.moveKind, p.plannedCount, p.rationale])).toEqual([
      ['refine', 1, undefined],
      ['fanout', 2, 'go wide [clamped 4→2]'],
      ['stop', 0, 'maxIterations (3) reached'],
    ])
  })

  it('ends the loop on select and makes the selected iteration win through selectWinner', async () => {
    const { events, base } = setup()
    const driver = createDynamicDriver<string, string>({
      planner: scripted([
        { kind: 'fanout', tasks: ['variant-a', 'variant-b'] },
        { kind: 'select', index: 1, rationale: 'b is simpler' },
      ]),
    })
    const result = await runLoop({ ...base, driver })
    expect(result.decision).toBe('done')
    expect(result.iterations).toHaveLength(2)
    expect(result.winner?.iterationIndex).toBe(1)
    expect(driver.selectedIndex()).toBe(1)
    expect(plans(events)[1]).toMatchObject({ moveKind: 'select', rationale: 'b is simpler', parentIndex: 1, plannedCount: 0 })
    const ended = events.find((e) => e.kind === 'loop.ended')
    expect(ended?.payload).toMatchObject({ winnerIterationIndex: 1 })
  })

  it('falls back to the default winner rule when nothing was selected, and resets between loops', async () => {
    const { base } = setup()
    const driver = createDynamicDriver<string, string>({
      planner: scripted([{ kind: 'fanout', tasks: ['variant-b', 'variant-a'] }, { kind: 'stop' }]),
    })
    const first = await runLoop({ ...base, driver, selectWinner: driver.selectWinner })
    expect(first.winner?.iterationIndex).toBe(1)
    expect(driver.selectedIndex()).toBeUndefined()
    const second = await runLoop({ ...base, driver, selectWinner: driver.selectWinner })
    expect(second.iterations).toHaveLength(2)
    expect(second.decision).toBe('done')
  })

  it('hands analyze findings to the planner', async () => {
    const { base } = setup()
    const seen: PlannerContext<string, string>[] = []
    const driver = createDynamicDriver<string, string>({
      analyze: (history) => (history.length === 0 ? [] : ['draft misses the edge case', { summary: 'scores are low', iterationIndex: 0, source: 'output' }]),
      planner: scripted([{ kind: 'refine', task: 'draft' }, { kind: 'stop' }], seen),
    })
    await runLoop({ ...base, driver })
    expect(seen[0].findings).toEqual([])
    expect(seen[1].findings).toEqual([{ summary: 'draft misses the edge case' }, { summary: 'scores are low', iterationIndex: 0, source: 'output' }])
  })
})

describe('createDynamicDriver errors', () => {
  async function planError(move: unknown, opts: { history?: number; analyze?: () => unknown } = {}): Promise<PlannerError> {
    const { base } = setup()
    const driver = createDynamicDriver<string, string>({
      analyze: opts.analyze as never,
      planner: scripted([{ kind: 'fanout', tasks: ['draft', 'improve'] }, move as TopologyMove<string>]),
    })
    const err = await runLoop({ ...base, driver }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(PlannerError)
    expect(err as PlannerError).toMatchObject({ code: 'validation', kind: 'planner' })
    return err as PlannerError
  }

  it('rejects an empty fanout', async () => {
    expect((await planError({ kind: 'fanout', tasks: [] })).message).toMatch(/fanout move needs a non-empty tasks array, got \[\]/)
  })

  it('rejects an unknown kind', async () => {
    expect((await planError({ kind: 'explode' })).message).toMatch(/unknown move kind "explode"; expected one of refine, fanout, stop, select/)
  })

  it('rejects a non-move, a refine without a task, and bad indices', async () => {
    expect((await planError(42)).message).toMatch(/Planner returned 42, which is not a topology move/)
    expect((await planError({ kind: 'refine' })).message).toMatch(/refine move has no task/)
    expect((await planError({ kind: 'select', index: 7 })).message).toMatch(/selected iteration 7, which does not exist; select one of 0, 1/)
    expect((await planError({ kind: 'select' })).message).toMatch(/select move has no index/)
    expect((await planError({ kind: 'refine', task: 'x', parentIndex: 9 })).message).toMatch(/parentIndex 9 names no iteration; the history has 2/)
    expect((await planError({ kind: 'refine', task: 'x', parentIndex: -1 })).message).toMatch(/parentIndex -1; it must be a non-negative integer/)
    expect((await planError({ kind: 'stop', rationale: 5 })).message).toMatch(/non-string rationale 5/)
  })

  it('wraps a throwing planner and rejects a bad analyze result', async () => {
    const { base } = setup()
    const throwing = createDynamicDriver<string, string>({
      planner: () => {
        throw new TypeError('model offline')
      },
    })
    await expect(runLoop({ ...base, driver: throwing })).rejects.toThrow(new PlannerError('Planner threw in round 0: model offline'))
    const notArray = await planError({ kind: 'stop' }, { analyze: () => ({ findings: [] }) })
    expect(notArray.message).toMatch(/analyze must return an array of findings, got object/)
    const judge = await planError({ kind: 'stop' }, { analyze: () => [{ summary: 'judge said 0.2', source: 'judge' }] })
    expect(judge.message).toMatch(/analyze finding 0 is judge-derived evidence/)
    const bad = await planError({ kind: 'stop' }, { analyze: () => [{ note: 1 }] })
    expect(bad.message).toMatch(/analyze finding 0 is not a string or \{summary: string\}/)
    const crashing = await planError({ kind: 'stop' }, {
      analyze: () => {
        throw new TypeError('trace store offline')
      },
    })
    expect(crashing.message).toBe('analyze threw in round 0: trace store offline')
    expect(crashing.cause).toBeInstanceOf(TypeError)
  })

  it('validates its own options', () => {
    expect(() => createDynamicDriver({ planner: 'plan' as never })).toThrow(ValidationError)
    expect(() => createDynamicDriver({ planner: 'plan' as never })).toThrow(/planner must be a function \(ctx\) => TopologyMove, got string/)
    expect(() => createDynamicDriver({ planner: () => ({ kind: 'stop' }), maxFanout: 0 })).toThrow(/maxFanout must be a positive integer, got 0/)
    expect(() => createDynamicDriver({ planner: () => ({ kind: 'stop' }), maxIterations: 1.5 })).toThrow(/maxIterations must be a positive integer, got 1.5/)
    expect(() => createDynamicDriver({ planner: () => ({ kind: 'stop' }), analyze: 3 as never })).toThrow(/analyze must be a function/)
  })
})

describe('summarizeHistory', () => {
  it('summarizes verdicts, errors and clipped outputs', () => {
    const it0 = {
      index: 0,
      roundIndex: 0,
      task: 't',
      agentRunName: 'claude',
      output: 'x'.repeat(50),
      verdict: { valid: false, score: 0.25, notes: 'missing test' },
      events: [],
      startedAt: 0,
      endedAt: 1,
      costUsd: 0,
      tokenUsage: { input: 0, output: 0 },
    }
    const it1 = { ...it0, index: 1, parentIndex: 0, output: { diff: '+a' }, verdict: undefined, error: 'timeout' }
    const text = summarizeHistory<string, unknown, { valid: boolean; score: number; notes?: string }>([it0, it1], { maxOutputChars: 10 })
    expect(text).toBe(
      [
        '#0 · round 0 · agent claude',
        '  verdict: invalid, score 0.25 — missing te…',
        `  output: ${'x'.repeat(10)}…`,
        '#1 · round 0 · agent claude · parent #0',
        '  error: timeout',
        '  output: {"diff":"+…',
      ].join('\n'),
    )
    expect(summarizeHistory([])).toBe('(no iterations yet)')
  })
})

describe('createDynamicDriver and the loop abort signal', () => {
  it("hands the loop's abort signal to the planner, so aborting cancels a planner round in flight", async () => {
    const { sandbox, base } = setup()
    const controller = new AbortController()
    let plannerStarted: () => void = () => {}
    const started = new Promise<void>((r) => {
      plannerStarted = r
    })
    const driver = createDynamicDriver<string, string>({
      planner: (ctx) => {
        if (ctx.roundIndex === 0) return { kind: 'refine', task: 'draft' }
        plannerStarted()
        // A slow planner (a model call) that only stops when its signal aborts.
        return new Promise<TopologyMove<string>>((_, reject) => {
          ctx.signal?.addEventListener('abort', () => reject(Object.assign(new Error('planner cancelled'), { name: 'AbortError' })), { once: true })
        })
      },
    })
    const loop = runLoop({ ...base, driver, ctx: { ...base.ctx, signal: controller.signal } })
    await started
    controller.abort()
    const err = await loop.catch((e: unknown) => e)
    expect((err as Error).name).toBe('AbortError')
    expect(sandbox.created).toHaveLength(1) // only round 0's iteration ran
  })
})
