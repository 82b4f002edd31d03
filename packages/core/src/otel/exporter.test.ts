import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import { type OtelSpan, ValidationError, msToUnixNano, parseOtlpHeaders, toOtelAttributes } from '@tangle-network/agent-runtime-core'
import { createOtelExporter } from '@tangle-network/agent-runtime-core/node'
import { afterEach, describe, expect, it } from 'vitest'
import { type OtlpReceiver, startOtlpReceiver } from '../../test/otel/otlp-receiver.js'

const T0 = 1_700_000_000_000

function span(i: number, parentSpanId?: string): OtelSpan {
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: `00f067aa0ba902${String(i).padStart(2, '0')}`,
    parentSpanId,
    name: `span-${i}`,
    kind: 1,
    startTimeUnixNano: msToUnixNano(T0 + i),
    endTimeUnixNano: msToUnixNano(T0 + i + 10.5),
    attributes: toOtelAttributes({ 'tangle.loop.iteration.index': i, 'tangle.cost.usd': { double: 0.125 }, ok: true, who: 'x' }),
    status: i === 2 ? { code: 2, message: 'boom' } : { code: 1 },
  }
}

async function closedPortEndpoint(): Promise<string> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((r) => server.close(() => r()))
  return `http://127.0.0.1:${port}`
}

let receiver: OtlpReceiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

describe('createOtelExporter configuration', () => {
  it('is undefined without an endpoint, so OTEL stays off', () => {
    expect(createOtelExporter({ env: {} })).toBeUndefined()
    expect(createOtelExporter({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: '  ' } })).toBeUndefined()
  })

  it('takes the endpoint from options, then the traces variable, then the generic one', () => {
    expect(createOtelExporter({ endpoint: 'http://collector:4318/', env: {} })?.url).toBe('http://collector:4318/v1/traces')
    expect(createOtelExporter({ endpoint: 'http://c:4318/v1/traces', env: {} })?.url).toBe('http://c:4318/v1/traces')
    expect(createOtelExporter({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318' } })?.url).toBe('http://env:4318/v1/traces')
    expect(
      createOtelExporter({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/custom' } })?.url,
    ).toBe('http://t:1/custom')
  })

  it('rejects numeric options that would stall or spin the batcher', () => {
    for (const [key, value, min] of [
      ['batchSize', Number.NaN, 1],
      ['batchSize', 0, 1],
      ['flushIntervalMs', -1, 0],
      ['timeoutMs', Number.NaN, 1],
    ] as const) {
      const create = () => createOtelExporter({ endpoint: 'http://c:4318', env: {}, [key]: value })
      expect(create).toThrow(ValidationError)
      expect(create).toThrow(`createOtelExporter: ${key} must be a number >= ${min}, got ${value}.`)
    }
    expect(createOtelExporter({ endpoint: 'http://c:4318', env: {}, batchSize: 1, flushIntervalMs: 0 })?.url).toBe('http://c:4318/v1/traces')
  })

  it('parses OTLP header lists', () => {
    expect(parseOtlpHeaders('a=1, b = two%20words ,bad,=x,c=%E0%A4%A')).toEqual({ a: '1', b: 'two words', c: '%E0%A4%A' })
    expect(parseOtlpHeaders(undefined)).toEqual({})
  })
})

describe('createOtelExporter over a live OTLP receiver', () => {
  it('POSTs OTLP/JSON to {endpoint}/v1/traces with the resource, scope, ids, times and attributes', async () => {
    receiver = await startOtlpReceiver()
    const exporter = createOtelExporter({ endpoint: receiver.endpoint, env: {}, serviceName: 'svc-test', resourceAttributes: { 'deployment.environment': 'ci' } })
    exporter?.exportSpans([span(1), span(2, '00f067aa0ba90201')])
    await exporter?.flush()
    expect(receiver.rejected).toEqual([])
    expect(receiver.requests).toHaveLength(1)
    expect(receiver.requests[0].path).toBe('/v1/traces')
    const got = receiver.spans()
    expect(got.map((s) => [s.name, s.spanId, s.parentSpanId])).toEqual([
      ['span-1', '00f067aa0ba90201', undefined],
      ['span-2', '00f067aa0ba90202', '00f067aa0ba90201'],
    ])
    expect(got[0].traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(got[0].kind).toBe(1)
    expect(got[0].endNs - got[0].startNs).toBe(10_500_000n)
    expect(got[0].startNs).toBe(BigInt(T0 + 1) * 1_000_000n)
    expect(got[0].attributes).toEqual({ 'tangle.loop.iteration.index': 1, 'tangle.cost.usd': 0.125, ok: true, who: 'x' })
    expect(got[1].status).toEqual({ code: 2, message: 'boom' })
    expect(got[0].resource).toMatchObject({ 'service.name': 'svc-test', 'deployment.environment': 'ci' })
    expect(got[0].scope).toEqual({ name: '@tangle-network/agent-runtime', version: '0.1.0' })
    await exporter?.shutdown()
  })

  it('sends OTEL_EXPORTER_OTLP_HEADERS, with explicit headers winning', async () => {
    receiver = await startOtlpReceiver()
    const exporter = createOtelExporter({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=from-env,authorization=Bearer%20tok' },
      headers: { 'x-api-key': 'explicit' },
    })
    exporter?.exportSpan(span(1))
    await exporter?.flush()
    expect(receiver.requests[0].headers['x-api-key']).toBe('explicit')
    expect(receiver.requests[0].headers.authorization).toBe('Bearer tok')
  })

  it('batches by size and by interval', async () => {
    receiver = await startOtlpReceiver()
    const sized = createOtelExporter({ endpoint: receiver.endpoint, env: {}, batchSize: 2, flushIntervalMs: 600_000 })
    for (let i = 1; i <= 5; i++) sized?.exportSpan(span(i))
    await receiver.waitForSpans(4)
    expect(receiver.requests.map((r) => r.body.resourceSpans?.[0].scopeSpans[0].spans?.length)).toEqual([2, 2])
    await sized?.flush()
    expect(receiver.requests).toHaveLength(3)
    expect(receiver.spans().map((s) => s.name)).toEqual(['span-1', 'span-2', 'span-3', 'span-4', 'span-5'])

    const timed = createOtelExporter({ endpoint: receiver.endpoint, env: {}, flushIntervalMs: 10 })
    timed?.exportSpan(span(9))
    const all = await receiver.waitForSpans(6)
    expect(all.at(-1)?.name).toBe('span-9')
  })

  it('drains on shutdown and drops spans exported afterwards', async () => {
    receiver = await startOtlpReceiver()
    const exporter = createOtelExporter({ endpoint: receiver.endpoint, env: {}, flushIntervalMs: 600_000 })
    exporter?.exportSpan(span(1))
    await exporter?.shutdown()
    expect(receiver.spans()).toHaveLength(1)
    exporter?.exportSpan(span(2))
    await exporter?.flush()
    await exporter?.shutdown()
    expect(receiver.spans()).toHaveLength(1)
  })

  it('never throws when the receiver is down or answers with an error', async () => {
    const errors: unknown[] = []
    const down = createOtelExporter({ endpoint: await closedPortEndpoint(), env: {}, timeoutMs: 300, onError: (e) => errors.push(e) })
    down?.exportSpan(span(1))
    await expect(down?.flush()).resolves.toBeUndefined()
    await expect(down?.shutdown()).resolves.toBeUndefined()
    expect(errors).toHaveLength(1)
    expect(String(errors[0])).toMatch(/ECONNREFUSED|connect/)

    receiver = await startOtlpReceiver({ status: 400 })
    const rejecting = createOtelExporter({
      endpoint: receiver.endpoint,
      env: {},
      onError: () => {
        throw new Error('onError itself fails')
      },
    })
    rejecting?.exportSpan(span(1))
    await expect(rejecting?.flush()).resolves.toBeUndefined()
    expect(receiver.requests).toHaveLength(1)
  })

  it('sends through a custom OpenTelemetry SpanExporter', async () => {
    const memory = new InMemorySpanExporter()
    const exporter = createOtelExporter({ env: {}, spanExporter: memory })
    expect(exporter?.url).toBeUndefined()
    exporter?.exportSpans([span(1), span(2, '00f067aa0ba90201')])
    await exporter?.flush()
    const finished = memory.getFinishedSpans()
    expect(finished.map((s) => [s.name, s.spanContext().spanId, s.parentSpanContext?.spanId])).toEqual([
      ['span-1', '00f067aa0ba90201', undefined],
      ['span-2', '00f067aa0ba90202', '00f067aa0ba90201'],
    ])
    expect(finished[0].duration).toEqual([0, 10_500_000])
    expect(finished[0].resource.attributes['service.name']).toBe('agent-runtime')
  })

  it('keeps a service.name given in resourceAttributes unless serviceName is set', async () => {
    const serviceOf = async (options: Parameters<typeof createOtelExporter>[0]) => {
      const memory = new InMemorySpanExporter()
      const exporter = createOtelExporter({ env: {}, spanExporter: memory, ...options })
      exporter?.exportSpan(span(1))
      await exporter?.flush()
      return memory.getFinishedSpans()[0].resource.attributes['service.name']
    }
    expect(await serviceOf({ resourceAttributes: { 'service.name': 'billing', team: 'ai' } })).toBe('billing')
    expect(await serviceOf({ serviceName: 'svc', resourceAttributes: { 'service.name': 'billing' } })).toBe('svc')
  })

  it('falls back to OTEL_SERVICE_NAME, then agent-runtime', async () => {
    const serviceOf = async (env: Record<string, string>) => {
      const memory = new InMemorySpanExporter()
      const exporter = createOtelExporter({ env, endpoint: 'http://127.0.0.1:1', spanExporter: memory })
      exporter?.exportSpan(span(1))
      await exporter?.flush()
      return memory.getFinishedSpans()[0].resource.attributes['service.name']
    }
    expect(await serviceOf({ OTEL_SERVICE_NAME: 'checkout' })).toBe('checkout')
    expect(await serviceOf({})).toBe('agent-runtime')
  })
})
