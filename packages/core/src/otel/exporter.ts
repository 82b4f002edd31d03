import type { HrTime, SpanContext } from '@opentelemetry/api'
import type { Resource } from '@opentelemetry/resources'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { OtelEnv } from './env.js'
import type { OtelSpan } from './spans.js'

/** Instrumentation scope name of every span this library exports. @experimental */
export const OTEL_SCOPE_NAME = '@tangle-network/agent-runtime'
/** Instrumentation scope version. @experimental */
export const OTEL_SCOPE_VERSION = '0.1.0'

/** Options of `createOtelExporter` (from the Node entry). @experimental */
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
