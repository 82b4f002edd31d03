/**
 * The protobuf path end to end: loop spans go through `createOtelExporter`
 * with the official OTLP/protobuf exporter (`@opentelemetry/exporter-trace-otlp-proto`)
 * as its `spanExporter`, over HTTP to a loopback receiver that decodes the
 * `application/x-protobuf` body from the wire format. They must arrive with
 * the same ids, parentage, times, attributes, resource and scope as the same
 * spans sent as OTLP/JSON.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { type LoopTraceEvent, OTEL_SCOPE_NAME, buildLoopOtelSpans, otelAttributesToRecord } from '@tangle-network/agent-runtime-core'
import { createOtelExporter } from '@tangle-network/agent-runtime-core/node'
import { afterEach, describe, expect, it } from 'vitest'
import { type OtlpReceiver, startOtlpReceiver } from './otlp-receiver.js'

const e = (kind: LoopTraceEvent['kind'], t: number, payload: unknown) => ({ kind, runId: 'r', timestamp: 1_700_000_000_000 + t, payload }) as LoopTraceEvent
const spans = buildLoopOtelSpans(
  [
    e('loop.started', 0, { driver: 'dynamic', agentRunNames: ['a'], maxIterations: 3, maxConcurrency: 1 }),
    e('loop.plan', 1, { roundIndex: 0, plannedCount: 1, moveKind: 'refine', rationale: 'go é 🌍', childIndices: [0] }),
    e('loop.iteration.started', 2, { iterationIndex: 0, roundIndex: 0, agentRunName: 'a', taskHash: 'h', groupId: 'g' }),
    e('loop.iteration.ended', 12, {
      iterationIndex: 0,
      roundIndex: 0,
      agentRunName: 'a',
      costUsd: 0.25,
      durationMs: 10,
      groupId: 'g',
      verdict: { valid: true, score: 0.75 },
      tokenUsage: { input: 7, output: 3 },
    }),
    e('loop.decision', 13, { roundIndex: 0, decision: 'done', historyLength: 1 }),
    e('loop.ended', 14, { winnerIterationIndex: 0, totalCostUsd: 0.25, durationMs: 14, iterations: 1, decision: 'done' }),
  ],
  '4bf92f3577b34da6a3ce929d0e0e4736',
  '00f067aa0ba902b7',
)

const receivers: OtlpReceiver[] = []
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close()
})

async function receive(protobuf: boolean) {
  const receiver = await startOtlpReceiver()
  receivers.push(receiver)
  const errors: unknown[] = []
  const exporter = createOtelExporter({
    env: {},
    serviceName: 'proto-test',
    ...(protobuf ? { spanExporter: new OTLPTraceExporter({ url: `${receiver.endpoint}/v1/traces` }) } : { endpoint: receiver.endpoint }),
    onError: (err) => errors.push(err),
  })!
  exporter.exportSpans(spans)
  await exporter.shutdown()
  expect(errors).toEqual([])
  expect(receiver.rejected).toEqual([])
  return { receiver, received: await receiver.waitForSpans(spans.length) }
}

describe('OTLP/protobuf export over HTTP', () => {
  it('the real protobuf exporter delivers every span intact to a receiver that decodes the wire format', async () => {
    const { receiver, received } = await receive(true)
    expect(receiver.requests.map((r) => [r.path, r.encoding, r.headers['content-type']])).toEqual([['/v1/traces', 'protobuf', 'application/x-protobuf']])
    expect(received.map((s) => [s.name, s.traceId, s.spanId, s.parentSpanId, s.kind])).toEqual(spans.map((s) => [s.name, s.traceId, s.spanId, s.parentSpanId, s.kind]))
    expect(received.map((s) => [s.startNs.toString(), s.endNs.toString()])).toEqual(spans.map((s) => [s.startTimeUnixNano, s.endTimeUnixNano]))
    for (const [i, s] of received.entries()) expect(s.attributes, s.name).toEqual(otelAttributesToRecord(spans[i].attributes))
    expect(received.find((s) => s.name === 'loop.iteration')?.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 7,
      'tangle.loop.verdict.score': 0.75,
      'tangle.loop.verdict.valid': true,
    })
    expect(received[0].resource['service.name']).toBe('proto-test')
    expect(received[0].scope?.name).toBe(OTEL_SCOPE_NAME)
  })

  it('protobuf and JSON exports of the same spans are received identically', async () => {
    const proto = await receive(true)
    const json = await receive(false)
    expect(json.receiver.requests[0].encoding).toBe('json')
    expect(proto.received).toEqual(json.received)
  })
})
