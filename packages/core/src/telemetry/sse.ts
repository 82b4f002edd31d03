import type { RuntimeStreamEvent } from '../contracts/events.js'
import type { KnowledgeReadinessReport } from '../contracts/knowledge.js'
import { type RuntimeTelemetryOptions, sanitizeKnowledgeReadinessReport, sanitizeRuntimeStreamEvent } from './sanitize.js'

/** SSE fields besides `data`. @stable */
export interface ServerSentEventOptions {
  event?: string
  id?: string
  /** Reconnection delay in ms; ignored unless a finite number >= 0. */
  retry?: number
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ')

/**
 * Encodes one Server-Sent Event. Objects become JSON; multi-line data is split
 * into several `data:` lines; newlines in `event`/`id` are flattened, so a
 * value can never inject a field.
 * @stable
 * @example
 * res.write(encodeServerSentEvent({ ok: true }, { event: 'status', id: '1' }))
 */
export function encodeServerSentEvent(data: unknown, options: ServerSentEventOptions = {}): string {
  const lines: string[] = []
  if (options.id !== undefined && options.id !== '') lines.push(`id: ${oneLine(options.id)}`)
  if (options.event !== undefined && options.event !== '') lines.push(`event: ${oneLine(options.event)}`)
  if (typeof options.retry === 'number' && Number.isFinite(options.retry) && options.retry >= 0) lines.push(`retry: ${Math.floor(options.retry)}`)
  const payload = typeof data === 'string' ? data : (JSON.stringify(data) ?? 'null')
  for (const line of payload.split(/\r\n|\r|\n/)) lines.push(`data: ${line}`)
  return `${lines.join('\n')}\n\n`
}

/**
 * A runtime stream event as an SSE frame, sanitized first (same options as
 * {@link sanitizeRuntimeStreamEvent}); the SSE `event` defaults to the event type.
 * @stable
 * @example
 * for await (const e of runAgentTaskStream(opts)) res.write(runtimeStreamServerSentEvent(e))
 */
export function runtimeStreamServerSentEvent(event: RuntimeStreamEvent, options: RuntimeTelemetryOptions & ServerSentEventOptions = {}): string {
  const { event: name, id, retry, ...telemetry } = options
  return encodeServerSentEvent(sanitizeRuntimeStreamEvent(event, telemetry), { event: name ?? event.type, id, retry })
}

/**
 * A readiness report as an SSE frame `{type:'readiness', readiness}`, sanitized first.
 * @stable
 * @example
 * res.write(readinessServerSentEvent(report, { event: 'readiness' }))
 */
export function readinessServerSentEvent(report: KnowledgeReadinessReport, options: RuntimeTelemetryOptions & ServerSentEventOptions = {}): string {
  const { event, id, retry, ...telemetry } = options
  return encodeServerSentEvent({ type: 'readiness', readiness: sanitizeKnowledgeReadinessReport(report, telemetry) }, { event, id, retry })
}
