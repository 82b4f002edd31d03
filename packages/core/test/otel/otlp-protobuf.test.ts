/**
 * The protobuf path: loop spans converted with `toReadableSpan` and encoded by
 * the official OTLP protobuf serializer (what an OTLP/proto `spanExporter`
 * sends) decode back to the same ids, parentage, times and attributes.
 * Decoding walks the ExportTraceServiceRequest wire format with the
 * transformer's own ProtobufReader.
 */
import { ProtobufReader } from '@opentelemetry/otlp-transformer/build/src/common/protobuf/protobuf-reader.js'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer/build/src/trace/protobuf/trace.js'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { type LoopTraceEvent, buildLoopOtelSpans, otelAttributesToRecord, toReadableSpan } from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

function fixed64(r: ProtobufReader, buf: Uint8Array): bigint {
  const v = new DataView(buf.buffer, buf.byteOffset + r.pos, 8).getBigUint64(0, true)
  r.pos += 8
  return v
}

function anyValue(buf: Uint8Array): string | number | boolean | undefined {
  const r = new ProtobufReader(buf)
  let out: string | number | boolean | undefined
  while (!r.isAtEnd()) {
    const { fieldNumber, wireType } = r.readTag()
    if (fieldNumber === 1 && wireType === 2) out = r.readString()
    else if (fieldNumber === 2 && wireType === 0) out = r.readVarint() === 1
    else if (fieldNumber === 3 && wireType === 0) out = r.readVarint()
    else if (fieldNumber === 4 && wireType === 1) {
      out = new DataView(buf.buffer, buf.byteOffset + r.pos, 8).getFloat64(0, true)
      r.pos += 8
    } else r.skip(wireType)
  }
  return out
}

interface DecodedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  start: bigint
  end: bigint
  attributes: Record<string, string | number | boolean | undefined>
}

function decodeSpan(buf: Uint8Array): DecodedSpan {
  const r = new ProtobufReader(buf)
  const span: DecodedSpan = { traceId: '', spanId: '', name: '', kind: 0, start: 0n, end: 0n, attributes: {} }
  while (!r.isAtEnd()) {
    const { fieldNumber, wireType } = r.readTag()
    if (fieldNumber === 1) span.traceId = hex(r.readBytes())
    else if (fieldNumber === 2) span.spanId = hex(r.readBytes())
    else if (fieldNumber === 4) span.parentSpanId = hex(r.readBytes())
    else if (fieldNumber === 5) span.name = r.readString()
    else if (fieldNumber === 6) span.kind = r.readVarint()
    else if (fieldNumber === 7) span.start = fixed64(r, buf)
    else if (fieldNumber === 8) span.end = fixed64(r, buf)
    else if (fieldNumber === 9) {
      const kv = new ProtobufReader(r.readBytes())
      let key = ''
      let value: string | number | boolean | undefined
      while (!kv.isAtEnd()) {
        const t = kv.readTag()
        if (t.fieldNumber === 1) key = kv.readString()
        else if (t.fieldNumber === 2) value = anyValue(kv.readBytes())
        else kv.skip(t.wireType)
      }
      span.attributes[key] = value
    } else r.skip(wireType)
  }
  return span
}

/** ExportTraceServiceRequest → resource_spans(1) → scope_spans(2) → spans(2). */
function decodeRequest(bytes: Uint8Array): DecodedSpan[] {
  const spans: DecodedSpan[] = []
  const nested = (buf: Uint8Array, field: number, each: (b: Uint8Array) => void) => {
    const r = new ProtobufReader(buf)
    while (!r.isAtEnd()) {
      const { fieldNumber, wireType } = r.readTag()
      if (fieldNumber === field && wireType === 2) each(r.readBytes())
      else r.skip(wireType)
    }
  }
  nested(bytes, 1, (rs) => nested(rs, 2, (ss) => nested(ss, 2, (s) => spans.push(decodeSpan(s)))))
  return spans
}

describe('OTLP protobuf encoding of loop spans', () => {
  it('round-trips ids, parentage, times and attributes through the official serializer', () => {
    const e = (kind: LoopTraceEvent['kind'], t: number, payload: unknown) => ({ kind, runId: 'r', timestamp: 1_700_000_000_000 + t, payload }) as LoopTraceEvent
    const built = buildLoopOtelSpans(
      [
        e('loop.started', 0, { driver: 'dynamic', agentRunNames: ['a'], maxIterations: 3, maxConcurrency: 1 }),
        e('loop.plan', 1, { roundIndex: 0, plannedCount: 1, moveKind: 'refine', rationale: 'go', childIndices: [0] }),
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
    const resource = resourceFromAttributes({ 'service.name': 'proto-test' })
    const bytes = ProtobufTraceSerializer.serializeRequest(built.map((s) => toReadableSpan(s, resource)))
    expect(bytes).toBeInstanceOf(Uint8Array)
    const decoded = decodeRequest(bytes as Uint8Array)
    expect(decoded.map((s) => [s.name, s.traceId, s.spanId, s.parentSpanId, s.kind])).toEqual(
      built.map((s) => [s.name, s.traceId, s.spanId, s.parentSpanId, s.kind]),
    )
    expect(decoded.map((s) => [s.start.toString(), s.end.toString()])).toEqual(built.map((s) => [s.startTimeUnixNano, s.endTimeUnixNano]))
    const iteration = decoded.find((s) => s.name === 'loop.iteration')
    expect(iteration?.attributes).toEqual(otelAttributesToRecord(built.find((s) => s.name === 'loop.iteration')?.attributes))
    expect(iteration?.attributes).toMatchObject({ 'gen_ai.usage.input_tokens': 7, 'tangle.loop.verdict.score': 0.75, 'tangle.loop.verdict.valid': true })
  })
})
