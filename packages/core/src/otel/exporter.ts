import type { HrTime, SpanContext } from '@opentelemetry/api'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { ValidationError } from '../errors.js'
import { type OtelEnv, defaultEnv, envValue, parseOtlpHeaders } from './env.js'
import type { OtelSpan } from './spans.js'

/** Instrumentation scope name of every span this library exports. @experimental */
export const OTEL_SCOPE_NAME = '@tangle-network/agent-runtime'
/** Instrumentation scope version. @experimental */
export const OTEL_SCOPE_VERSION = '0.1.0'

/** Options of {@link createOtelExporter}. @experimental */
export interface OtelExporterOptions {
  /** OTLP/HTTP base URL; spans go to `{endpoint}/v1/traces`. Default `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  endpoint?: string
  /** Request headers, merged over `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k=v`). */
  headers?: Record<string, string>
  /** `service.name` of the resource. Default: `resourceAttributes['service.name']`, else `OTEL_SERVICE_NAME`, else `agent-runtime`. */
  serviceName?: string
  /** Extra resource attributes. */
  resourceAttributes?: Record<string, string | number | boolean>
  /** Spans per request; reaching it triggers a flush. Default 64. */
  batchSize?: number
  /** Longest time a span waits in the batch, in ms (unref'd timer). Default 5000. */
  flushIntervalMs?: number
  /** Time limit of one export request, retries included, in ms. Default 10000. */
  timeoutMs?: number
  /**
   * Environment to read; default `process.env` where it exists. (On Node the
   * OTLP exporter package also falls back to `OTEL_EXPORTER_OTLP_*` in `process.env`.)
   */
  env?: OtelEnv
  /** Told about every failed export; failures are otherwise silent. */
  onError?: (err: unknown) => void
  /** Sends batches through this OpenTelemetry exporter (e.g. OTLP/proto or gRPC) instead of OTLP/HTTP JSON. */
  spanExporter?: SpanExporter
}

/** A batching span exporter that never throws. @experimental */
export interface OtelExporter {
  /** Where spans are POSTed, or undefined with a custom `spanExporter`. */
  readonly url: string | undefined
  exportSpan(span: OtelSpan): void
  exportSpans(spans: readonly OtelSpan[]): void
  /** Sends everything buffered and waits for in-flight requests. Never rejects. */
  flush(): Promise<void>
  /** Stops the timer, flushes, and drops spans exported afterwards. Never rejects. */
  shutdown(): Promise<void>
}

/** A numeric option, defaulted, that must be at least `min` (NaN would stall batching forever). */
function atLeast(value: number | undefined, fallback: number, min: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !(value >= min)) {
    throw new ValidationError(`createOtelExporter: ${name} must be a number >= ${min}, got ${String(value)}.`)
  }
  return value
}

function tracesUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '')
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`
}

function hrTime(nanos: string): HrTime {
  let n: bigint
  try {
    n = BigInt(nanos)
  } catch {
    n = 0n
  }
  return [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)]
}

function hrDuration(start: HrTime, end: HrTime): HrTime {
  let sec = end[0] - start[0]
  let ns = end[1] - start[1]
  if (ns < 0) {
    sec -= 1
    ns += 1e9
  }
  return sec < 0 ? [0, 0] : [sec, ns]
}

/**
 * Converts our OTLP/JSON-shaped span into the SDK's `ReadableSpan`, ids kept
 * exactly as built, so any OpenTelemetry `SpanExporter` can send it.
 * @experimental
 * @example
 * exporter.export(spans.map((s) => toReadableSpan(s, resourceFromAttributes({ 'service.name': 'x' }))), done)
 */
export function toReadableSpan(span: OtelSpan, resource: Resource): ReadableSpan {
  const context: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: 1 }
  const parent: SpanContext | undefined = span.parentSpanId ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: 1, isRemote: true } : undefined
  const attributes: Record<string, string | number | boolean> = {}
  for (const { key, value } of span.attributes ?? []) {
    if ('stringValue' in value) attributes[key] = value.stringValue
    else if ('intValue' in value) attributes[key] = Number(value.intValue)
    else if ('doubleValue' in value) attributes[key] = value.doubleValue
    else if ('boolValue' in value) attributes[key] = value.boolValue
  }
  const startTime = hrTime(span.startTimeUnixNano)
  const endTime = hrTime(span.endTimeUnixNano)
  return {
    name: span.name,
    kind: Math.max(0, (span.kind ?? 1) - 1),
    spanContext: () => context,
    parentSpanContext: parent,
    startTime,
    endTime,
    duration: hrDuration(startTime, endTime),
    status: { code: span.status?.code ?? 0, message: span.status?.message },
    attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: { name: OTEL_SCOPE_NAME, version: OTEL_SCOPE_VERSION },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  }
}

/**
 * Creates a batching OTLP/HTTP span exporter on `@opentelemetry/exporter-trace-otlp-http`,
 * or returns `undefined` when neither `endpoint` nor `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, so OTEL stays off by default.
 * Spans are sent when `batchSize` is reached, after `flushIntervalMs`, or on
 * `flush`/`shutdown`. Export errors (receiver down, 4xx/5xx) are swallowed and
 * reported to `onError`: telemetry never breaks a loop. A `batchSize` below 1,
 * a negative `flushIntervalMs` or a `timeoutMs` below 1 (or NaN) is a
 * misconfiguration and throws {@link ValidationError} at creation.
 * @experimental
 * @example
 * const exporter = createOtelExporter() // reads OTEL_EXPORTER_OTLP_ENDPOINT
 * for (const span of buildLoopOtelSpans(events, traceId)) exporter?.exportSpan(span)
 * await exporter?.flush()
 */
export function createOtelExporter(options: OtelExporterOptions = {}): OtelExporter | undefined {
  const env = options.env ?? defaultEnv()
  const specific = envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  const base = options.endpoint?.trim() || envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')
  const url = options.endpoint?.trim() ? tracesUrl(options.endpoint.trim()) : (specific ?? (base ? tracesUrl(base) : undefined))
  if (!url && !options.spanExporter) return undefined

  const headers = {
    ...parseOtlpHeaders(envValue(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
    ...parseOtlpHeaders(envValue(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
    ...options.headers,
  }
  const batchSize = Math.floor(atLeast(options.batchSize, 64, 1, 'batchSize'))
  const flushIntervalMs = atLeast(options.flushIntervalMs, 5000, 0, 'flushIntervalMs')
  const timeoutMs = atLeast(options.timeoutMs, 10_000, 1, 'timeoutMs')
  // `serviceName` wins, then a `service.name` the caller put in resourceAttributes,
  // then the standard OTEL_SERVICE_NAME, then the default.
  const serviceName = options.serviceName ?? options.resourceAttributes?.['service.name'] ?? envValue(env, 'OTEL_SERVICE_NAME') ?? 'agent-runtime'
  const resourceAttributes = { ...options.resourceAttributes, 'service.name': serviceName }

  let buffer: OtelSpan[] = []
  let closed = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const inFlight = new Set<Promise<void>>()
  let backend: Promise<{ exporter: SpanExporter; resource: Resource }> | undefined

  const report = (err: unknown): void => {
    try {
      options.onError?.(err)
    } catch {
      // an onError that throws is ignored too
    }
  }

  // Loaded on first export so importing the engine never pulls the HTTP stack in.
  const load = (): Promise<{ exporter: SpanExporter; resource: Resource }> => {
    backend ??= (async () => {
      const { resourceFromAttributes } = await import('@opentelemetry/resources')
      const resource = resourceFromAttributes(resourceAttributes)
      if (options.spanExporter) return { exporter: options.spanExporter, resource }
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http')
      return { exporter: new OTLPTraceExporter({ url, headers, timeoutMillis: timeoutMs }) as unknown as SpanExporter, resource }
    })()
    return backend
  }

  const send = (batch: OtelSpan[]): Promise<void> => {
    const job = (async () => {
      try {
        const { exporter, resource } = await load()
        const spans = batch.map((s) => toReadableSpan(s, resource))
        await new Promise<void>((resolve) => {
          exporter.export(spans, (result) => {
            if (result.code !== 0) report(result.error ?? new Error(`OTLP export of ${spans.length} spans to ${url ?? 'custom exporter'} failed`))
            resolve()
          })
        })
      } catch (err) {
        report(err)
      }
    })()
    inFlight.add(job)
    void job.finally(() => inFlight.delete(job))
    return job
  }

  const drain = (): void => {
    if (timer !== undefined) {
      clearTimeout(timer)
      timer = undefined
    }
    while (buffer.length > 0) void send(buffer.splice(0, batchSize))
  }

  const schedule = (): void => {
    if (timer !== undefined || buffer.length === 0) return
    timer = setTimeout(() => {
      timer = undefined
      drain()
    }, flushIntervalMs)
    ;(timer as { unref?: () => void }).unref?.()
  }

  const flush = async (): Promise<void> => {
    drain()
    while (inFlight.size > 0) await Promise.all([...inFlight])
  }

  const exportSpans = (spans: readonly OtelSpan[]): void => {
    if (closed) return
    try {
      buffer = buffer.concat(spans)
      while (buffer.length >= batchSize) void send(buffer.splice(0, batchSize))
      schedule()
    } catch (err) {
      report(err)
    }
  }

  return {
    url,
    exportSpan: (span) => exportSpans([span]),
    exportSpans,
    flush,
    async shutdown() {
      if (closed) return
      closed = true
      await flush()
      try {
        if (backend) await (await backend).exporter.shutdown()
      } catch (err) {
        report(err)
      }
    },
  }
}
