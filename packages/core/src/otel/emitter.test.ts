import {
  type LoopTraceEvent,
  type OtelExporter,
  type OtelSpan,
  createPropagatingTraceEmitter,
  otelAttributesToRecord,
} from '@tangle-network/agent-runtime-core'
import { createDynamicDriver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import { describe, expect, it } from 'vitest'

/** An exporter that records what it was given. */
function recordingExporter(): OtelExporter & { exported: OtelSpan[]; flushes: number } {
  const state = {
    exported: [] as OtelSpan[],
    flushes: 0,
    url: 'memory',
    exportSpan(span: OtelSpan) {
      state.exported.push(span)
    },
    exportSpans(spans: readonly OtelSpan[]) {
      state.exported.push(...spans)
    },
    async flush() {
      state.flushes++
    },
    async shutdown() {},
  }
  return state
}

function run(runId: string, t0 = 1000): LoopTraceEvent[] {
  return [
    { kind: 'loop.started', runId, timestamp: t0, payload: { driver: 'dynamic', agentRunNames: ['a'], maxIterations: 2, maxConcurrency: 1 } },
    { kind: 'loop.plan', runId, timestamp: t0 + 1, payload: { roundIndex: 0, plannedCount: 1, moveKind: 'refine', childIndices: [0] } },
    { kind: 'loop.iteration.started', runId, timestamp: t0 + 2, payload: { iterationIndex: 0, roundIndex: 0, agentRunName: 'a', taskHash: 'h', groupId: 'g' } },
    {
      kind: 'loop.iteration.ended',
      runId,
      timestamp: t0 + 9,
      payload: { iterationIndex: 0, roundIndex: 0, agentRunName: 'a', costUsd: 0.1, durationMs: 7, groupId: 'g', verdict: { valid: true, score: 1 } },
    },
    { kind: 'loop.decision', runId, timestamp: t0 + 10, payload: { roundIndex: 0, decision: 'done', historyLength: 1 } },
    { kind: 'loop.ended', runId, timestamp: t0 + 11, payload: { winnerIterationIndex: 0, totalCostUsd: 0.1, durationMs: 11, iterations: 1, decision: 'done' } },
  ]
}

describe('createPropagatingTraceEmitter', () => {
  it('exports each run when it ends, keeping interleaved runs apart', async () => {
    const exporter = recordingExporter()
    const forwarded: string[] = []
    const perRun: Record<string, number> = {}
    let n = 0
    const emitter = createPropagatingTraceEmitter({
      exporter,
      env: {},
      useActiveContext: false,
      subjectKey: 'repo:x',
      newTraceId: () => `${++n}`.repeat(32),
      forward: { emit: (e) => void forwarded.push(`${e.runId}:${e.kind}`) },
      onSpans: (spans, runId) => {
        perRun[runId] = spans.length
      },
    })
    const a = run('run-a')
    const b = run('run-b', 5000)
    for (let i = 0; i < a.length; i++) {
      await emitter.emit(a[i])
      if (i < b.length - 1) await emitter.emit(b[i])
      if (i === 2) expect(exporter.exported).toEqual([])
    }
    expect(perRun).toEqual({ 'run-a': 3 })
    await emitter.emit(b.at(-1) as LoopTraceEvent)
    expect(perRun).toEqual({ 'run-a': 3, 'run-b': 3 })
    expect(exporter.flushes).toBe(2)
    expect(forwarded).toHaveLength(12)
    const loops = exporter.exported.filter((s) => s.name === 'loop')
    expect(loops.map((s) => s.traceId)).toEqual(['1'.repeat(32), '2'.repeat(32)])
    expect(otelAttributesToRecord(loops[0].attributes)['tangle.subject.key']).toBe('repo:x')
    expect(emitter.traceOf('run-b')).toEqual({ traceId: '2'.repeat(32), source: 'explicit' })
  })

  it('honours TRACE_ID/PARENT_SPAN_ID and traceparent from the environment, and explicit ids', async () => {
    const fromEnv = recordingExporter()
    const e1 = createPropagatingTraceEmitter({ exporter: fromEnv, env: { TRACE_ID: 'ab'.repeat(16), PARENT_SPAN_ID: 'cd'.repeat(8) } })
    for (const e of run('r1')) await e1.emit(e)
    expect(fromEnv.exported[0]).toMatchObject({ name: 'loop', traceId: 'ab'.repeat(16), parentSpanId: 'cd'.repeat(8) })

    const fromHeader = recordingExporter()
    const e2 = createPropagatingTraceEmitter({ exporter: fromHeader, env: { TRACEPARENT: `00-${'12'.repeat(16)}-${'34'.repeat(8)}-01` } })
    for (const e of run('r2')) await e2.emit(e)
    expect(fromHeader.exported[0]).toMatchObject({ traceId: '12'.repeat(16), parentSpanId: '34'.repeat(8) })

    const explicit = recordingExporter()
    const e3 = createPropagatingTraceEmitter({ exporter: explicit, traceId: 'ef'.repeat(16), env: { TRACE_ID: 'ab'.repeat(16) }, flushOnEnd: false })
    for (const e of run('r3')) await e3.emit(e)
    expect(explicit.exported[0]).toMatchObject({ traceId: 'ef'.repeat(16) })
    expect(explicit.exported[0].parentSpanId).toBeUndefined()
    expect(explicit.flushes).toBe(0)
    await e3.flush()
    expect(explicit.flushes).toBe(1)
  })

  it('never throws: a failing exporter or forward sink is ignored, and no exporter means pass-through', async () => {
    const broken: OtelExporter = {
      url: 'x',
      exportSpan() {
        throw new Error('boom')
      },
      exportSpans() {
        throw new Error('boom')
      },
      flush: async () => {},
      shutdown: async () => {},
    }
    const emitter = createPropagatingTraceEmitter({
      exporter: broken,
      env: {},
      forward: {
        emit: () => {
          throw new Error('sink down')
        },
      },
    })
    for (const e of run('r')) expect(() => emitter.emit(e)).not.toThrow()

    const seen: string[] = []
    const off = createPropagatingTraceEmitter({ exporter: undefined, forward: { emit: async (e) => void seen.push(e.kind) } })
    for (const e of run('r')) await off.emit(e)
    expect(seen).toHaveLength(6)
    expect(off.traceOf('r')).toBeUndefined()
    await expect(off.flush()).resolves.toBeUndefined()
  })

  it('drops the oldest unfinished run beyond maxBufferedRuns', async () => {
    const exporter = recordingExporter()
    const emitter = createPropagatingTraceEmitter({ exporter, env: {}, maxBufferedRuns: 1 })
    const a = run('a')
    const b = run('b')
    await emitter.emit(a[0])
    for (const e of b) await emitter.emit(e)
    await emitter.emit(a.at(-1) as LoopTraceEvent)
    // Run a lost its buffered start; only its end was seen, so its tree has no started/plan data.
    const loops = exporter.exported.filter((s) => s.name === 'loop')
    expect(loops).toHaveLength(2)
    expect(otelAttributesToRecord(loops[1].attributes)['tangle.loop.driver']).toBeUndefined()
  })

  it('exports the tree of a loop that fails or is aborted, with an error status on the loop span', async () => {
    const exporter = recordingExporter()
    const emitter = createPropagatingTraceEmitter({ exporter, env: {}, useActiveContext: false })
    const controller = new AbortController()
    const loop = (planner: Parameters<typeof createDynamicDriver<string, string>>[0]['planner'], signal?: AbortSignal) =>
      runLoop({
        driver: createDynamicDriver<string, string>({ planner }),
        agentRun: { profile: { name: 'w' }, taskToPrompt: (t: string) => t },
        output: { parse: (events) => String(events.at(-1)?.data.finalText) },
        validator: { validate: () => ({ valid: false, score: 0.2 }) },
        task: 'root',
        runId: signal ? 'aborted-run' : 'failed-run',
        ctx: { sandboxClient: createScriptedSandboxClient(), traceEmitter: emitter, signal },
      })
    await expect(loop(({ roundIndex }) => (roundIndex === 0 ? { kind: 'refine', task: 'a' } : { kind: 'teleport' } as never))).rejects.toThrow(/unknown move kind/)
    await expect(
      loop(({ roundIndex }) => {
        if (roundIndex === 1) controller.abort()
        return { kind: 'refine', task: 'a' }
      }, controller.signal),
    ).rejects.toThrow(/aborted/)
    await emitter.flush()
    const loops = exporter.exported.filter((s) => s.name === 'loop')
    expect(loops.map((s) => [otelAttributesToRecord(s.attributes)['tangle.run.id'], otelAttributesToRecord(s.attributes)['tangle.loop.decision'], s.status])).toEqual([
      ['failed-run', 'failed', { code: 2, message: 'loop failed' }],
      ['aborted-run', 'aborted', { code: 2, message: 'loop aborted' }],
    ])
    expect(exporter.exported.filter((s) => s.name === 'loop.iteration')).toHaveLength(2)
    expect(emitter.traceOf('failed-run')?.traceId).toMatch(/^[0-9a-f]{32}$/)
  })
})

describe('createPropagatingTraceEmitter and the loop context', () => {
  it("joins the trace named by the loop's ctx.traceId and ctx.parentSpanId", async () => {
    const exporter = recordingExporter()
    const traceEmitter = createPropagatingTraceEmitter({ exporter, env: {}, useActiveContext: false })
    const traceId = 'ab'.repeat(16)
    const parentSpanId = 'cd'.repeat(8)
    await runLoop({
      driver: createDynamicDriver<string, string>({ planner: ({ history }) => (history.length ? { kind: 'stop' } : { kind: 'refine', task: 't' }) }),
      agentRun: { profile: {}, taskToPrompt: (t: string) => t },
      output: { parse: () => 'out' },
      validator: { validate: () => ({ valid: true, score: 1 }) },
      task: 't',
      ctx: { sandboxClient: createScriptedSandboxClient(), traceEmitter, traceId, parentSpanId },
    })
    const root = exporter.exported.find((s) => s.name === 'loop')
    expect(root?.traceId).toBe(traceId)
    expect(root?.parentSpanId).toBe(parentSpanId)
    expect(exporter.exported.every((s) => s.traceId === traceId)).toBe(true)
  })

  it("lets the emitter's own traceId win over the loop's", async () => {
    const exporter = recordingExporter()
    const own = 'ef'.repeat(16)
    const emitter = createPropagatingTraceEmitter({ exporter, env: {}, useActiveContext: false, traceId: own })
    const events = run('r1')
    events[0] = { ...events[0], payload: { ...(events[0].payload as object), traceId: 'ab'.repeat(16), parentSpanId: 'cd'.repeat(8) } } as LoopTraceEvent
    for (const e of events) await emitter.emit(e)
    const root = exporter.exported.find((s) => s.name === 'loop')
    expect(root?.traceId).toBe(own)
    expect(root?.parentSpanId).toBeUndefined()
  })
})

describe('createPropagatingTraceEmitter and parent sampling', () => {
  const unsampled = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'
  it('does not export a loop whose parent was not sampled, but still forwards its events', async () => {
    const exporter = recordingExporter()
    const forwarded: string[] = []
    const emitter = createPropagatingTraceEmitter({ exporter, env: { TRACEPARENT: unsampled }, useActiveContext: false, forward: { emit: (e) => void forwarded.push(e.kind) } })
    for (const e of run('r1')) await emitter.emit(e)
    expect(exporter.exported).toEqual([])
    expect(forwarded).toHaveLength(6)
  })

  it('exports anyway when honorParentSampling is false', async () => {
    const exporter = recordingExporter()
    const emitter = createPropagatingTraceEmitter({ exporter, env: { TRACEPARENT: unsampled }, useActiveContext: false, honorParentSampling: false })
    for (const e of run('r1')) await emitter.emit(e)
    expect(exporter.exported.find((s) => s.name === 'loop')?.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
  })
})
