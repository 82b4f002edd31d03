import { context, trace } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { activeOtelParent, formatTraceparent, parseTraceparent, resolveTraceParent } from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

describe('parseTraceparent', () => {
  it('parses valid headers and rejects malformed ones', () => {
    expect(parseTraceparent(TP)).toEqual({
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: '01',
      sampled: true,
    })
    expect(parseTraceparent(` ${TP.toUpperCase()} `)?.spanId).toBe('00f067aa0ba902b7')
    expect(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00')?.sampled).toBe(false)
    expect(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra')?.version).toBe('01')
    for (const bad of [
      '',
      'garbage',
      `${TP}-extra`,
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`,
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01',
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined()
    }
    expect(parseTraceparent(undefined)).toBeUndefined()
  })

  it('never throws on junk and round-trips what it formats', () => {
    fc.assert(fc.property(fc.string(), (s) => void parseTraceparent(s)))
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{32}$/), fc.stringMatching(/^[0-9a-f]{16}$/), fc.boolean(), (traceId, spanId, sampled) => {
        fc.pre(/[1-9a-f]/.test(traceId) && /[1-9a-f]/.test(spanId))
        expect(parseTraceparent(formatTraceparent(traceId, spanId, sampled))).toEqual({ version: '00', traceId, spanId, flags: sampled ? '01' : '00', sampled })
      }),
    )
  })
})

describe('resolveTraceParent', () => {
  const env = { TRACE_ID: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', PARENT_SPAN_ID: '1111222233334444', TRACEPARENT: TP }

  it('prefers explicit ids, then TRACE_ID/PARENT_SPAN_ID, then TRACEPARENT', () => {
    expect(resolveTraceParent({ traceId: 'abc', parentSpanId: 'def', env })).toEqual({
      traceId: `abc${'0'.repeat(29)}`,
      parentSpanId: 'def0000000000000',
      source: 'explicit',
    })
    expect(resolveTraceParent({ env })).toEqual({ traceId: 'aaaaaaaabbbbccccddddeeeeeeeeeeee', parentSpanId: '1111222233334444', source: 'env' })
    expect(resolveTraceParent({ env: { TRACEPARENT: TP } })).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentSpanId: '00f067aa0ba902b7',
      source: 'traceparent',
      sampled: true,
    })
    expect(resolveTraceParent({ env: { TRACEPARENT: TP.replace(/-01$/, '-00') } })?.sampled).toBe(false)
    expect(resolveTraceParent({ env: { traceparent: TP } })?.source).toBe('traceparent')
    expect(resolveTraceParent({ env: { TRACEPARENT: 'nonsense' } })).toBeUndefined()
    expect(resolveTraceParent({ env: {} })).toBeUndefined()
  })
})

describe('joining an application OpenTelemetry SDK', () => {
  afterEach(() => {
    trace.disable()
    context.disable()
  })

  it('uses the active span of a registered NodeTracerProvider as the parent', async () => {
    const memory = new InMemorySpanExporter()
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] })
    provider.register()
    const tracer = trace.getTracer('app')
    expect(activeOtelParent()).toBeUndefined()
    const seen = await tracer.startActiveSpan('handle-request', async (span) => {
      await new Promise((r) => setTimeout(r, 1))
      const inside = {
        active: activeOtelParent(),
        resolved: resolveTraceParent({ env: { TRACEPARENT: TP } }),
        explicit: resolveTraceParent({ traceId: 'abc' })?.source,
        optedOut: resolveTraceParent({ env: {}, useActiveContext: false }),
      }
      span.end()
      return { ...inside, ids: span.spanContext() }
    })
    expect(seen.active).toEqual({ traceId: seen.ids.traceId, spanId: seen.ids.spanId, sampled: true })
    expect(seen.resolved).toEqual({ traceId: seen.ids.traceId, parentSpanId: seen.ids.spanId, source: 'active-context', sampled: true })
    expect(seen.explicit).toBe('explicit')
    expect(seen.optedOut).toBeUndefined()
    expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(['handle-request'])
    await provider.shutdown()
  })
})
