import {
  type AnalystFinding,
  type AnalystLoopEvent,
  type AnalystRegistry,
  createAnalystRegistry,
  createMemoryFindingsStore,
  findingId,
  type FindingsStore,
  runAnalystLoop,
  type SurfaceAdapter,
  type SurfaceProposal,
} from '@tangle-network/agent-runtime/analyst-loop'
import { describe, expect, it } from 'vitest'

const f = (area: string, confidence: number, claim = `problem in ${area}`): AnalystFinding => ({
  finding_id: findingId({ analyst_id: 'stub', area, claim }),
  analyst_id: 'stub',
  severity: 'medium',
  area,
  claim,
  evidence_refs: [],
  confidence,
})

/** A registry whose one analyst returns `findings`, recording the prior findings it was given. */
function stubRegistry(findings: AnalystFinding[], seenPrior: unknown[] = []) {
  return createAnalystRegistry([
    {
      id: 'stub',
      description: 'returns fixed findings',
      inputKind: 'custom',
      cost: { kind: 'deterministic' },
      version: '1',
      analyze: (_input: unknown, ctx) => {
        seenPrior.push(ctx.priorFindings)
        return findings
      },
    },
  ])
}

/** An adapter proposing one item per finding of its area prefix, logging calls into `log`. */
function adapter(surface: string, areaPrefix: string, log: string[], store?: FindingsStore, runId?: string): SurfaceAdapter & { applied: SurfaceProposal[] } {
  const applied: SurfaceProposal[] = []
  return {
    surface,
    applied,
    async propose(findings) {
      // Persisted before any adapter runs: the store already has this run's findings.
      if (store && runId) log.push(`${surface}.propose sees ${(await store.list(runId)).length} persisted`)
      else log.push(`${surface}.propose`)
      return findings.filter((x) => x.area.startsWith(areaPrefix)).map((x) => ({ id: `${surface}:${x.finding_id}`, sourceFindingId: x.finding_id, title: x.claim }))
    },
    async apply(items) {
      log.push(`${surface}.apply ${items.length}`)
      applied.push(...items)
      return items.map((item) => ({ item, applied: true }))
    },
  }
}

function loggingStore(log: string[]): FindingsStore {
  const inner = createMemoryFindingsStore()
  return {
    ...inner,
    save: async (runId, findings, meta) => {
      log.push(`store.save ${runId} ${findings.length}`)
      await inner.save(runId, findings, meta)
    },
    list: (runId) => inner.list(runId),
    listRuns: () => inner.listRuns(),
    latestRunId: (o) => inner.latestRunId(o),
  }
}

describe('runAnalystLoop', () => {
  it('emits every event in the documented order, awaited, and persists findings before any adapter', async () => {
    const log: string[] = []
    const store = loggingStore(log)
    await store.save('run-0', [f('knowledge', 0.9, 'old')], { createdAt: 1 })
    log.length = 0
    const findings = [f('knowledge', 0.95), f('prompt', 0.95)]
    const events: AnalystLoopEvent[] = []
    const result = await runAnalystLoop({
      runId: 'run-1',
      registry: stubRegistry(findings),
      inputs: {},
      findingsStore: store,
      knowledgeAdapter: adapter('knowledge', 'knowledge', log, store, 'run-1'),
      improvementAdapter: adapter('improvement', 'prompt', log, store, 'run-1'),
      autoApply: { knowledge: true, improvement: true },
      clock: () => 100,
      onEvent: async (e) => {
        // A slow sink: the loop must wait for it before doing anything else.
        await new Promise((r) => setImmediate(r))
        log.push(`event ${e.type}${e.type === 'analyst' ? `:${e.event.type}` : ''}`)
        events.push(e)
      },
    })
    expect(log).toEqual([
      'event baseline-resolved',
      'event analyst:analyst-started',
      'event analyst:analyst-finished',
      'event analyst:run-completed',
      'store.save run-1 2',
      'event findings-persisted',
      'event diff-computed',
      'knowledge.propose sees 2 persisted',
      'event knowledge-proposed',
      'knowledge.apply 1',
      'event knowledge-applied',
      'improvement.propose sees 2 persisted',
      'event improvement-proposed',
      'improvement.apply 1',
      'event improvement-applied',
      'event loop-completed',
    ])
    expect(events[0]).toEqual({ type: 'baseline-resolved', runId: 'run-1', baselineRunId: 'run-0', source: 'latest' })
    expect(events.at(-1)).toEqual({ type: 'loop-completed', runId: 'run-1', result })
    expect(result.baselineRunId).toBe('run-0')
    expect(result.knowledge?.applied.map((o) => o.item.sourceFindingId)).toEqual([findings[0]!.finding_id])
    expect(result.improvement?.applied.map((o) => o.item.sourceFindingId)).toEqual([findings[1]!.finding_id])
  })

  it('diffs against the baseline run: new, resolved and persisting by stable finding id', async () => {
    const store = createMemoryFindingsStore()
    const first = await runAnalystLoop({ runId: 'a', registry: stubRegistry([f('error:TimeoutError', 0.6, '3 of 10 runs hit TimeoutError'), f('tool:search', 0.7)]), inputs: {}, findingsStore: store, clock: () => 1 })
    expect(first.baselineRunId).toBeNull()
    expect(first.diff).toBeNull()
    const second = await runAnalystLoop({ runId: 'b', registry: stubRegistry([f('error:TimeoutError', 0.8, '5 of 10 runs hit TimeoutError'), f('cost', 0.6)]), inputs: {}, findingsStore: store, clock: () => 2 })
    expect(second.baselineRunId).toBe('a')
    expect(second.diff?.new.map((x) => x.area)).toEqual(['cost'])
    expect(second.diff?.resolved.map((x) => x.area)).toEqual(['tool:search'])
    expect(second.diff?.persisting.map((p) => [p.finding.claim, p.previous.claim])).toEqual([['5 of 10 runs hit TimeoutError', '3 of 10 runs hit TimeoutError']])
    expect(await store.list('b')).toHaveLength(2)
  })

  it('resolves the baseline: explicit, null, latest other run, none without a store', async () => {
    const store = createMemoryFindingsStore()
    await store.save('x', [f('a', 1)], { createdAt: 1 })
    await store.save('y', [f('b', 1)], { createdAt: 2 })
    const run = (over: Partial<Parameters<typeof runAnalystLoop>[0]>) => runAnalystLoop({ runId: 'z', registry: stubRegistry([f('a', 1)]), inputs: {}, findingsStore: store, clock: () => 3, ...over })
    expect((await run({ baselineRunId: 'x' })).diff?.persisting).toHaveLength(1)
    expect((await run({ baselineRunId: null })).baselineRunId).toBeNull()
    // 'z' now exists in the store; the latest *other* run is still 'y'.
    expect((await run({})).baselineRunId).toBe('y')
    const noStore = await run({ findingsStore: null })
    expect([noStore.baselineRunId, noStore.diff]).toEqual([null, null])
  })

  it('passes prior findings per strategy: a list, {"*": list}, or nothing', async () => {
    const store = createMemoryFindingsStore()
    const prior = [f('a', 1)]
    await store.save('base', prior, { createdAt: 1 })
    const seen: unknown[] = []
    for (const priorFindingsStrategy of ['per-kind', 'wildcard', 'none'] as const) {
      await runAnalystLoop({ runId: `r-${priorFindingsStrategy}`, registry: stubRegistry([], seen), inputs: {}, findingsStore: store, baselineRunId: 'base', priorFindingsStrategy })
    }
    expect(seen).toEqual([prior, { '*': prior }, undefined])
    await expect(runAnalystLoop({ runId: 'r', registry: stubRegistry([]), inputs: {}, findingsStore: null, priorFindingsStrategy: 'all' as never })).rejects.toThrow(/priorFindingsStrategy 'all'/)
  })

  it('applies only with auto-apply on and at or above the thresholds; the rest is withheld_for_review with the reason', async () => {
    const findings = [f('knowledge', 0.85, 'k-high'), f('knowledge', 0.84, 'k-low'), f('prompt', 0.9, 'p-high'), f('prompt', 0.89, 'p-low')]
    const on = await runAnalystLoop({
      runId: 'r',
      registry: stubRegistry(findings),
      inputs: {},
      findingsStore: null,
      knowledgeAdapter: adapter('knowledge', 'knowledge', []),
      improvementAdapter: adapter('improvement', 'prompt', []),
      autoApply: { knowledge: true, improvement: true },
    })
    expect(on.knowledge?.applied.map((o) => o.item.title)).toEqual(['k-high'])
    expect(on.knowledge?.withheld_for_review).toEqual([{ item: expect.objectContaining({ title: 'k-low' }), reason: 'confidence 0.84 is below the knowledge threshold 0.85' }])
    expect(on.improvement?.applied.map((o) => o.item.title)).toEqual(['p-high'])
    expect(on.improvement?.withheld_for_review.map((w) => w.item.title)).toEqual(['p-low'])

    const off = await runAnalystLoop({ runId: 'r', registry: stubRegistry(findings), inputs: {}, findingsStore: null, knowledgeAdapter: adapter('knowledge', 'knowledge', []), autoApply: { improvement: true } })
    expect(off.knowledge?.applied).toEqual([])
    expect(off.knowledge?.withheld_for_review.map((w) => w.reason)).toEqual(['auto-apply of knowledge is off', 'auto-apply of knowledge is off'])
    expect(off.improvement).toBeNull()

    const custom = await runAnalystLoop({ runId: 'r', registry: stubRegistry(findings), inputs: {}, findingsStore: null, knowledgeAdapter: adapter('knowledge', 'knowledge', []), autoApply: { knowledge: true, knowledgeConfidenceThreshold: 0.5 } })
    expect(custom.knowledge?.applied).toHaveLength(2)

    const proposeOnly: SurfaceAdapter = { surface: 'knowledge', propose: (fs) => fs.map((x) => ({ id: x.finding_id, sourceFindingId: x.finding_id, title: x.claim })) }
    const noApply = await runAnalystLoop({ runId: 'r', registry: stubRegistry([findings[0]!]), inputs: {}, findingsStore: null, knowledgeAdapter: proposeOnly, autoApply: { knowledge: true } })
    expect(noApply.knowledge?.withheld_for_review[0]?.reason).toBe('the knowledge adapter has no apply()')
    await expect(runAnalystLoop({ runId: 'r', registry: stubRegistry([]), inputs: {}, findingsStore: null, autoApply: { knowledgeConfidenceThreshold: 2 } })).rejects.toThrow(/knowledgeConfidenceThreshold must be in \[0, 1\]/)
  })

  it('uses runStream only when onEvent is given, and throws when the stream has no run-completed', async () => {
    const calls: string[] = []
    const registry: AnalystRegistry = {
      list: () => [],
      run: async () => {
        calls.push('run')
        return { findings: [], errors: [], analysts: [] }
      },
      runStream: async function* () {
        calls.push('runStream')
        yield { type: 'analyst-started', analystId: 'x' }
      },
    }
    await runAnalystLoop({ runId: 'r', registry, inputs: {}, findingsStore: null })
    expect(calls).toEqual(['run'])
    await expect(runAnalystLoop({ runId: 'r', registry, inputs: {}, findingsStore: null, onEvent: () => {} })).rejects.toThrow(/without a run-completed event/)
    expect(calls).toEqual(['run', 'runStream'])
  })

  it('aborts when an event sink throws: nothing after it runs', async () => {
    const log: string[] = []
    const store = loggingStore(log)
    await expect(
      runAnalystLoop({
        runId: 'r',
        registry: stubRegistry([f('knowledge', 1)]),
        inputs: {},
        findingsStore: store,
        knowledgeAdapter: adapter('knowledge', 'knowledge', log),
        autoApply: { knowledge: true },
        onEvent: (e) => {
          if (e.type === 'diff-computed') throw new Error('sink down')
        },
      }),
    ).rejects.toThrow('sink down')
    expect(log).toEqual(['store.save r 1'])
  })

  it('records a throwing analyst as an analyst error and keeps the others', async () => {
    const registry = createAnalystRegistry([
      { id: 'boom', description: '', inputKind: 'custom', cost: { kind: 'deterministic' }, version: '1', analyze: () => { throw new RangeError('bad input') } },
      { id: 'fine', description: '', inputKind: 'custom', cost: { kind: 'deterministic' }, version: '1', analyze: () => [{ ...f('a', 0.5), finding_id: '', analyst_id: '' }] },
    ])
    const result = await runAnalystLoop({ runId: 'r', registry, inputs: {}, findingsStore: null })
    expect(result.analystResult.errors).toEqual([{ analyst_id: 'boom', message: 'bad input' }])
    expect(result.analystResult.findings).toEqual([expect.objectContaining({ analyst_id: 'fine', finding_id: expect.stringMatching(/^f_[0-9a-f]{8}$/) })])
    expect(result.analystResult.analysts.map((a) => [a.analyst_id, a.ok])).toEqual([
      ['boom', false],
      ['fine', true],
    ])
  })
})
