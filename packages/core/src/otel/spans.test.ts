import {
  type LoopTraceEvent,
  buildLoopOtelSpans,
  loopEventToOtelSpan,
  msToUnixNano,
  normalizeSpanId,
  normalizeTraceId,
  otelAttributesToRecord,
  toOtelAttributes,
} from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const T0 = 1_700_000_000_000
const runId = 'loop-abc12345'

/** A refine → fanout(2) → stop loop as the kernel would trace it. */
function dynamicLoopEvents(run = runId): LoopTraceEvent[] {
  const e = (kind: LoopTraceEvent['kind'], dt: number, payload: unknown) => ({ kind, runId: run, timestamp: T0 + dt, payload }) as LoopTraceEvent
  return [
    e('loop.started', 0, { driver: 'dynamic', agentRunNames: ['claude', 'codex'], maxIterations: 8, maxConcurrency: 4 }),
    e('loop.plan', 5, { roundIndex: 0, plannedCount: 1, moveKind: 'refine', rationale: 'first try', childIndices: [0] }),
    e('loop.iteration.started', 6, { iterationIndex: 0, roundIndex: 0, agentRunName: 'claude', taskHash: 'aaaa1111', groupId: `${run}/round-0` }),
    e('loop.iteration.dispatch', 7, { iterationIndex: 0, placement: 'sibling', sandboxId: 'sbx-0' }),
    e('loop.iteration.ended', 40, {
      iterationIndex: 0,
      roundIndex: 0,
      agentRunName: 'claude',
      verdict: { valid: false, score: 0.4 },
      costUsd: 0.25,
      durationMs: 34,
      tokenUsage: { input: 100, output: 20 },
      groupId: `${run}/round-0`,
      outputPreview: 'draft',
      outputHash: 'bbbb2222',
    }),
    e('loop.decision', 41, { roundIndex: 0, decision: 'continue', historyLength: 1 }),
    e('loop.plan', 50, { roundIndex: 1, plannedCount: 2, moveKind: 'fanout', rationale: 'two ideas', parentIndex: 0, childIndices: [1, 2] }),
    e('loop.iteration.started', 51, { iterationIndex: 1, roundIndex: 1, agentRunName: 'codex', taskHash: 'c1', groupId: `${run}/round-1`, parentIndex: 0 }),
    e('loop.iteration.started', 52, { iterationIndex: 2, roundIndex: 1, agentRunName: 'claude', taskHash: 'c2', groupId: `${run}/round-1`, parentIndex: 0 }),
    e('loop.iteration.dispatch', 53, { iterationIndex: 1, placement: 'fleet', fleetId: 'fl-1', machineId: 'm-3' }),
    e('loop.iteration.ended', 80, {
      iterationIndex: 1,
      roundIndex: 1,
      agentRunName: 'codex',
      error: 'harness crashed',
      costUsd: 0,
      durationMs: 29,
      groupId: `${run}/round-1`,
      parentIndex: 0,
    }),
    e('loop.teardown.failed', 81, { iterationIndex: 1, sandboxId: 'm-3', reason: 'delete refused' }),
    e('loop.iteration.ended', 95, {
      iterationIndex: 2,
      roundIndex: 1,
      agentRunName: 'claude',
      verdict: { valid: true, score: 1 },
      costUsd: 0.5,
      durationMs: 43,
      tokenUsage: { input: 300, output: 60 },
      groupId: `${run}/round-1`,
      parentIndex: 0,
    }),
    e('loop.decision', 96, { roundIndex: 1, decision: 'continue', historyLength: 3 }),
    e('loop.plan', 100, { roundIndex: 2, plannedCount: 0, moveKind: 'stop', rationale: 'valid', childIndices: [] }),
    e('loop.decision', 101, { roundIndex: 2, decision: 'done', historyLength: 3 }),
    e('loop.ended', 102, { winnerIterationIndex: 2, totalCostUsd: 0.75, durationMs: 102, iterations: 3, decision: 'done' }),
  ]
}

const ns = (dt: number) => String(BigInt(T0 + dt) * 1_000_000n)

describe('buildLoopOtelSpans', () => {
  const traceId = '4bf92f35-77b3-4da6-a3ce-929d0e0e4736'
  const spans = buildLoopOtelSpans(dynamicLoopEvents(), traceId, 'abcdef0123456789', { subjectKey: 'repo:demo' })
  const byName = (name: string) => spans.filter((s) => s.name === name)
  const attrs = (i: number) => otelAttributesToRecord(spans[i].attributes)

  it('nests loop → loop.round → loop.iteration under the given parent', () => {
    expect(spans.map((s) => s.name)).toEqual(['loop', 'loop.round', 'loop.round', 'loop.round', 'loop.iteration', 'loop.iteration', 'loop.iteration'])
    const [loop] = byName('loop')
    const rounds = byName('loop.round')
    const its = byName('loop.iteration')
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set(['4bf92f3577b34da6a3ce929d0e0e4736']))
    expect(loop.parentSpanId).toBe('abcdef0123456789')
    expect(rounds.every((r) => r.parentSpanId === loop.spanId)).toBe(true)
    expect(its.map((i) => i.parentSpanId)).toEqual([rounds[0].spanId, rounds[1].spanId, rounds[1].spanId])
    expect(new Set(spans.map((s) => s.spanId)).size).toBe(spans.length)
    expect(spans.every((s) => /^[0-9a-f]{16}$/.test(s.spanId) && s.kind === 1)).toBe(true)
  })

  it('gives every span its real time range', () => {
    const range = (name: string, i = 0) => [byName(name)[i].startTimeUnixNano, byName(name)[i].endTimeUnixNano]
    expect(range('loop')).toEqual([ns(0), ns(102)])
    expect(range('loop.round', 0)).toEqual([ns(5), ns(41)])
    expect(range('loop.round', 1)).toEqual([ns(50), ns(96)])
    expect(range('loop.round', 2)).toEqual([ns(100), ns(101)])
    expect(range('loop.iteration', 0)).toEqual([ns(6), ns(40)])
    expect(range('loop.iteration', 2)).toEqual([ns(52), ns(95)])
  })

  it('sets the GenAI and tangle attributes', () => {
    expect(attrs(0)).toEqual({
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.conversation.id': runId,
      'tangle.run.id': runId,
      'tangle.loop.driver': 'dynamic',
      'tangle.loop.agents': 'claude,codex',
      'tangle.loop.max_iterations': 8,
      'tangle.subject.key': 'repo:demo',
      'tangle.loop.winner.iteration_index': 2,
      'tangle.cost.usd': 0.75,
      'tangle.loop.duration_ms': 102,
      'tangle.loop.iterations': 3,
      'tangle.loop.decision': 'done',
    })
    expect(attrs(2)).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'tangle.loop.round.index': 1,
      'tangle.loop.move.kind': 'fanout',
      'tangle.loop.move.round': 1,
      'tangle.loop.move.width': 2,
      'tangle.loop.move.rationale': 'two ideas',
      'tangle.loop.move.parent_index': 0,
      'tangle.loop.move.child_indices': '1,2',
      'tangle.loop.decision': 'continue',
    })
    expect(attrs(4)).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'claude',
      'gen_ai.usage.input_tokens': 100,
      'gen_ai.usage.output_tokens': 20,
      'tangle.cost.usd': 0.25,
      'tangle.loop.iteration.index': 0,
      'tangle.loop.verdict.valid': false,
      'tangle.loop.verdict.score': 0.4,
      'tangle.loop.iteration.group_id': `${runId}/round-0`,
      'tangle.loop.iteration.duration_ms': 34,
      'tangle.loop.iteration.output_preview': 'draft',
      'tangle.loop.placement.kind': 'sibling',
      'tangle.sandbox.id': 'sbx-0',
    })
    expect(attrs(5)).toMatchObject({
      'tangle.loop.error': 'harness crashed',
      'tangle.loop.placement.kind': 'fleet',
      'tangle.fleet.id': 'fl-1',
      'tangle.machine.id': 'm-3',
      'tangle.loop.iteration.parent_index': 0,
      'tangle.loop.teardown.error': 'delete refused',
    })
    expect(attrs(5)).not.toHaveProperty('gen_ai.usage.input_tokens')
    // Costs and scores stay doubles even when whole.
    expect(spans[6].attributes?.find((a) => a.key === 'tangle.loop.verdict.score')?.value).toEqual({ doubleValue: 1 })
    expect(spans[4].attributes?.find((a) => a.key === 'gen_ai.usage.input_tokens')?.value).toEqual({ intValue: '100' })
  })

  it('marks failed iterations and failed loops with error status', () => {
    expect(byName('loop.iteration').map((s) => s.status)).toEqual([{ code: 1 }, { code: 2, message: 'harness crashed' }, { code: 1 }])
    const aborted = dynamicLoopEvents().slice(0, 5)
    aborted.push({ kind: 'loop.ended', runId, timestamp: T0 + 60, payload: { totalCostUsd: 0.25, durationMs: 60, iterations: 1, decision: 'aborted' } })
    const [loop, round] = buildLoopOtelSpans(aborted, traceId)
    expect(loop.status).toEqual({ code: 2, message: 'loop aborted' })
    expect(loop.parentSpanId).toBeUndefined()
    expect(round.endTimeUnixNano).toBe(ns(60))
  })

  it('handles iterations that never ended and several runs at once', () => {
    const partial = dynamicLoopEvents().slice(0, 3)
    const [loop, , it0] = buildLoopOtelSpans(partial, traceId)
    expect(it0.status).toEqual({ code: 2, message: 'no loop.iteration.ended event (the loop ended first)' })
    expect(it0.endTimeUnixNano).toBe(loop.endTimeUnixNano)
    const both = buildLoopOtelSpans([...dynamicLoopEvents('run-a'), ...dynamicLoopEvents('run-b')], traceId)
    expect(both.filter((s) => s.name === 'loop')).toHaveLength(2)
    expect(new Set(both.map((s) => s.spanId)).size).toBe(both.length)
    expect(buildLoopOtelSpans([], traceId)).toEqual([])
  })

  it('is deterministic, so re-exports keep the same ids', () => {
    expect(buildLoopOtelSpans(dynamicLoopEvents(), traceId)).toEqual(buildLoopOtelSpans(dynamicLoopEvents(), traceId))
  })
})

describe('loopEventToOtelSpan', () => {
  it('makes a flat zero-duration span with primitive payload fields', () => {
    const event = dynamicLoopEvents()[1]
    const span = loopEventToOtelSpan(event, 'trace-1', 'a1')
    expect(span.name).toBe('loop.plan')
    expect(span.startTimeUnixNano).toBe(span.endTimeUnixNano)
    expect(span.parentSpanId).toBe('a100000000000000')
    expect(otelAttributesToRecord(span.attributes)).toEqual({
      'loop.event_kind': 'loop.plan',
      'loop.run_id': runId,
      'loop.roundIndex': 0,
      'loop.plannedCount': 1,
      'loop.moveKind': 'refine',
      'loop.rationale': 'first try',
    })
  })
})

describe('id and value encoding', () => {
  it('strips dashes and pads or truncates ids', () => {
    expect(normalizeTraceId('abc')).toBe(`abc${'0'.repeat(29)}`)
    expect(normalizeSpanId('0123456789abcdef0123')).toBe('0123456789abcdef')
    expect(normalizeSpanId('AB-CD')).toBe('abcd000000000000')
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-]{0,40}$/)), (id) => {
        expect(normalizeTraceId(id)).toMatch(/^[0-9a-f]{32}$/)
        expect(normalizeSpanId(id)).toMatch(/^[0-9a-f]{16}$/)
        // All-zero ids are invalid in OTLP and W3C trace context.
        expect(normalizeTraceId(id)).not.toBe('0'.repeat(32))
        expect(normalizeSpanId(id)).not.toBe('0'.repeat(16))
      }),
    )
  })

  it('encodes times and attributes', () => {
    expect(msToUnixNano(T0)).toBe(`${T0}000000`)
    expect(msToUnixNano(1.25)).toBe('1250000')
    expect(toOtelAttributes({ s: 'x', i: 3, d: 0.5, w: { double: 2 }, b: true, u: undefined, n: Number.NaN })).toEqual([
      { key: 's', value: { stringValue: 'x' } },
      { key: 'i', value: { intValue: '3' } },
      { key: 'd', value: { doubleValue: 0.5 } },
      { key: 'w', value: { doubleValue: 2 } },
      { key: 'b', value: { boolValue: true } },
    ])
  })
})
