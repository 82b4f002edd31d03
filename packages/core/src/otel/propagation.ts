import { isSpanContextValid, TraceFlags, trace } from '@opentelemetry/api'
import { type OtelEnv, defaultEnv, envValue } from './env.js'
import { normalizeSpanId, normalizeTraceId } from './spans.js'

/** A parsed W3C `traceparent` header. @experimental */
export interface Traceparent {
  version: string
  traceId: string
  spanId: string
  flags: string
  sampled: boolean
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\s]*)?$/
const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/**
 * Parses a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`). Undefined for
 * anything malformed: wrong lengths, non-hex, version `ff`, all-zero ids, or
 * trailing fields on version 00. Never throws.
 * @experimental
 * @example
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.spanId // '00f067aa0ba902b7'
 */
export function parseTraceparent(value: string | undefined | null): Traceparent | undefined {
  if (typeof value !== 'string') return undefined
  const m = TRACEPARENT.exec(value.trim().toLowerCase())
  if (!m) return undefined
  const [, version, traceId, spanId, flags, rest] = m
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined
  return { version, traceId, spanId, flags, sampled: (Number.parseInt(flags, 16) & 1) === 1 }
}

/**
 * Formats a version-00 `traceparent` header for child processes and requests.
 * @experimental
 * @example
 * formatTraceparent(traceId, spanId) // '00-<traceId>-<spanId>-01'
 */
export function formatTraceparent(traceId: string, spanId: string, sampled = true): string {
  return `00-${normalizeTraceId(traceId)}-${normalizeSpanId(spanId)}-${sampled ? '01' : '00'}`
}

/** Where a loop's parent came from. @experimental */
export type TraceParentSource = 'explicit' | 'active-context' | 'env' | 'traceparent'

/** The trace a loop's spans join, and the span they hang under. @experimental */
export interface ResolvedTraceParent {
  traceId: string
  parentSpanId?: string
  source: TraceParentSource
  /** False when the parent was explicitly not sampled (traceparent flags, or the active span's trace flags). */
  sampled?: boolean
}

/** Options of {@link resolveTraceParent}. @experimental */
export interface ResolveTraceParentOptions {
  traceId?: string
  parentSpanId?: string
  /** Default `process.env` where it exists. */
  env?: OtelEnv
  /** Join the active span of a registered OpenTelemetry SDK. Default true. */
  useActiveContext?: boolean
}

/**
 * The active span of the application's OpenTelemetry SDK, read through
 * `@opentelemetry/api`; undefined without a registered SDK or outside a span.
 * @experimental
 * @example
 * tracer.startActiveSpan('job', (span) => activeOtelParent()) // { traceId, spanId } of `span`
 */
export function activeOtelParent(): { traceId: string; spanId: string; sampled: boolean } | undefined {
  try {
    const context = trace.getActiveSpan()?.spanContext()
    return context && isSpanContextValid(context)
      ? { traceId: context.traceId, spanId: context.spanId, sampled: (context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED }
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Decides which trace a loop's spans join: an explicit `traceId` (with its
 * `parentSpanId`), else the active span of a registered OpenTelemetry SDK,
 * else `TRACE_ID`/`PARENT_SPAN_ID` from the environment, else a `TRACEPARENT`
 * (or `traceparent`) variable. Undefined when none applies.
 * @experimental
 * @example
 * const parent = resolveTraceParent({ env: { TRACEPARENT: '00-4bf9…-00f0…-01' } })
 */
export function resolveTraceParent(options: ResolveTraceParentOptions = {}): ResolvedTraceParent | undefined {
  if (options.traceId) {
    return {
      traceId: normalizeTraceId(options.traceId),
      parentSpanId: options.parentSpanId ? normalizeSpanId(options.parentSpanId) : undefined,
      source: 'explicit',
    }
  }
  if (options.useActiveContext !== false) {
    const active = activeOtelParent()
    if (active) return { traceId: active.traceId, parentSpanId: active.spanId, source: 'active-context', sampled: active.sampled }
  }
  const env = options.env ?? defaultEnv()
  const traceId = envValue(env, 'TRACE_ID')
  if (traceId) {
    const parent = envValue(env, 'PARENT_SPAN_ID')
    return { traceId: normalizeTraceId(traceId), parentSpanId: parent ? normalizeSpanId(parent) : undefined, source: 'env' }
  }
  const header = parseTraceparent(envValue(env, 'TRACEPARENT') ?? envValue(env, 'traceparent'))
  return header ? { traceId: header.traceId, parentSpanId: header.spanId, source: 'traceparent', sampled: header.sampled } : undefined
}
