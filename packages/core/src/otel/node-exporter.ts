// Node-only: the OTLP/HTTP exporter package reaches `http`, `fs` and `util`,
// so this file is exported from the `/node` entry, never from the root one
// (the root must bundle for Workers; see test/runtime-neutral.test.ts).
import type { Resource } from '@opentelemetry/resources'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { ValidationError } from '../errors.js'
import { defaultEnv, envValue, parseOtlpHeaders } from './env.js'
import { type OtelExporter, type OtelExporterOptions, toReadableSpan } from './exporter.js'
import type { OtelSpan } from './spans.js'

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
