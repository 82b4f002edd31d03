import { betterSqlite3ToSqlAdapter, exportEvalRuns as exportFromRoot, INTELLIGENCE_WIRE_VERSION as rootVersion } from '@tangle-network/agent-runtime'
import { createOutcomeAdapter, createSqlTraceStore, exportEvalRuns, INTELLIGENCE_WIRE_VERSION, parseEvalRunsExport } from '@tangle-network/agent-runtime/agent'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'

async function seeded() {
  const traces = createSqlTraceStore(betterSqlite3ToSqlAdapter(new Database(':memory:')))
  await traces.migrate()
  await traces.beginRun({ runId: 'r1', agentId: 'support', personaId: 'alice', startedAt: Date.UTC(2026, 0, 1) })
  await traces.append('r1', [{ kind: 'task', type: 'tool_call', timestamp: Date.UTC(2026, 0, 1, 0, 0, 1), payload: { toolName: 'search' } }])
  await traces.endRun('r1', { status: 'completed', endedAt: Date.UTC(2026, 0, 1, 0, 0, 2), output: 'ok', scores: { helpful: 1 }, composite: 1, costUsd: 0.01 })
  await traces.beginRun({ runId: 'r2', agentId: 'other', startedAt: Date.UTC(2026, 0, 2) })
  return traces
}

describe('outcome adapter', () => {
  it('records outcomes against a run and joins them to its traces by run id', async () => {
    const traces = await seeded()
    let n = 0
    const outcomes = createOutcomeAdapter(traces, { clock: () => 5000 + n, ids: () => `o${++n}` })
    expect(await outcomes.rating('r1', 0.75)).toEqual({ outcomeId: 'o1', runId: 'r1', kind: 'rating', value: 0.75, recordedAt: 5001 })
    await outcomes.patchAccepted('r1', true, { pr: 12 })
    await outcomes.conversion('r1', 99)
    const joined = await outcomes.joined('r1')
    expect(joined.run).toMatchObject({ runId: 'r1', personaId: 'alice', status: 'completed' })
    expect(joined.events.map((e) => e.type)).toEqual(['tool_call'])
    expect(joined.outcomes.map((o) => [o.kind, o.value, o.metadata])).toEqual([
      ['rating', 0.75, undefined],
      ['patch_accepted', 1, { pr: 12 }],
      ['conversion', 99, undefined],
    ])
  })

  it('rejects bad values, naming the field, and unknown runs', async () => {
    const traces = await seeded()
    const outcomes = createOutcomeAdapter(traces)
    await expect(outcomes.rating('r1', 4)).rejects.toThrow(/must be in \[0, 1\] \(got 4\)/)
    await expect(outcomes.record('r1', { kind: 'x', value: Number.POSITIVE_INFINITY })).rejects.toThrow(/outcome\.value for run 'r1'/)
    await expect(outcomes.record('r1', { kind: '', value: 1 })).rejects.toThrow(/outcome\.kind/)
    await expect(outcomes.conversion('ghost')).rejects.toMatchObject({ code: 'not_found' })
    await expect(outcomes.joined('ghost')).rejects.toMatchObject({ code: 'not_found' })
  })
})

describe('exportEvalRuns', () => {
  it('exports runs with traces and outcomes in the versioned wire format, which round-trips through JSON', async () => {
    const traces = await seeded()
    await createOutcomeAdapter(traces, { clock: () => Date.UTC(2026, 0, 3), ids: () => 'o1' }).rating('r1', 1)
    const doc = await exportEvalRuns(traces, { agentId: 'support', clock: () => Date.UTC(2026, 0, 4) })
    expect(doc).toEqual({
      wireVersion: INTELLIGENCE_WIRE_VERSION,
      exportedAt: '2026-01-04T00:00:00.000Z',
      runs: [
        {
          runId: 'r1',
          agentId: 'support',
          personaId: 'alice',
          status: 'completed',
          startedAt: '2026-01-01T00:00:00.000Z',
          endedAt: '2026-01-01T00:00:02.000Z',
          durationMs: 2000,
          output: 'ok',
          scores: { helpful: 1 },
          composite: 1,
          costUsd: 0.01,
          traces: [{ seq: 0, kind: 'task', type: 'tool_call', timestamp: '2026-01-01T00:00:01.000Z', payload: { toolName: 'search' } }],
          outcomes: [{ outcomeId: 'o1', kind: 'rating', value: 1, recordedAt: '2026-01-03T00:00:00.000Z' }],
        },
      ],
    })
    expect(parseEvalRunsExport(JSON.parse(JSON.stringify(doc)))).toEqual(doc)
    expect((await exportEvalRuns(traces, { runIds: ['r2', 'ghost'] })).runs.map((r) => [r.runId, r.status])).toEqual([['r2', 'running']])
    expect(exportFromRoot).toBe(exportEvalRuns)
    expect(rootVersion).toBe('agent-runtime.eval-runs/1')
  })

  it('rejects another wire version and names the bad field', () => {
    expect(() => parseEvalRunsExport({ wireVersion: 'agent-runtime.eval-runs/2', exportedAt: '2026-01-01T00:00:00Z', runs: [] })).toThrow(/wireVersion/)
    expect(() =>
      parseEvalRunsExport({ wireVersion: INTELLIGENCE_WIRE_VERSION, exportedAt: '2026-01-01T00:00:00Z', runs: [{ runId: 'r', agentId: 'a', status: 'done', startedAt: 'x', traces: [], outcomes: [] }] }),
    ).toThrow(/runs\.0\.status/)
  })
})
