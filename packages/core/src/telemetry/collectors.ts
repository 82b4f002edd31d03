import type { AgentRuntimeEvent, RuntimeStreamEvent } from '../contracts/events.js'
import type { AgentTaskStatus } from '../contracts/task.js'
import { type RuntimeTelemetryOptions, type SanitizedRuntimeEvent, sanitizeAgentRuntimeEvent, sanitizeRuntimeStreamEvent } from './sanitize.js'

/** Totals of a collected run: counts and lengths only, never content. @stable */
export interface RuntimeEventSummary {
  eventCount: number
  /** Events seen but not kept because `maxEvents` was reached. */
  droppedEvents: number
  countsByType: Record<string, number>
  textChars: number
  toolCalls: number
  llmCalls: number
  tokensIn: number
  tokensOut: number
  costUsd: number
  controlSteps: number
  status?: AgentTaskStatus
  reason?: string
  error?: { kind: string; status?: number }
}

/** Options of the collectors. @stable */
export interface RuntimeEventCollectorOptions extends RuntimeTelemetryOptions {
  /** Keep at most this many sanitized events (default 10 000); the summary still counts all. */
  maxEvents?: number
}

/**
 * Collects sanitized events and a running summary. Feed it with
 * `collector.onEvent(event)` (or pass `collector.onEvent` as a callback; it is bound).
 * @stable
 */
export interface RuntimeEventCollector<E> {
  /** Sanitizes, keeps and counts one event; returns the sanitized form. */
  onEvent(event: E): SanitizedRuntimeEvent
  /** Same as {@link RuntimeEventCollector.onEvent}. */
  push(event: E): SanitizedRuntimeEvent
  /** The kept sanitized events, oldest first (the collector's own array: read it, don't change it). */
  readonly events: readonly SanitizedRuntimeEvent[]
  summary(): RuntimeEventSummary
  clear(): void
}

/** Seed name of a collector over {@link RuntimeStreamEvent}s. @stable */
export type RuntimeStreamEventCollector = RuntimeEventCollector<RuntimeStreamEvent>
/** Seed name of the {@link RuntimeEventSummary} of a stream collector. @stable */
export type RuntimeStreamEventSummary = RuntimeEventSummary

function emptySummary(): RuntimeEventSummary {
  return { eventCount: 0, droppedEvents: 0, countsByType: {}, textChars: 0, toolCalls: 0, llmCalls: 0, tokensIn: 0, tokensOut: 0, costUsd: 0, controlSteps: 0 }
}

const finite = (n: number | undefined) => (typeof n === 'number' && Number.isFinite(n) ? n : 0)

function makeCollector<E extends AgentRuntimeEvent>(
  sanitize: (e: E, o: RuntimeTelemetryOptions) => SanitizedRuntimeEvent,
  options: RuntimeEventCollectorOptions,
): RuntimeEventCollector<E> {
  const { maxEvents = 10_000, ...telemetry } = options
  let kept: SanitizedRuntimeEvent[] = []
  let sum = emptySummary()
  const onEvent = (event: E): SanitizedRuntimeEvent => {
    const clean = sanitize(event, telemetry)
    sum.eventCount++
    sum.countsByType[event.type] = (sum.countsByType[event.type] ?? 0) + 1
    if (event.type === 'text_delta') sum.textChars += event.text.length
    else if (event.type === 'tool_call') sum.toolCalls++
    else if (event.type === 'control_step') sum.controlSteps++
    else if (event.type === 'llm_call') {
      sum.llmCalls++
      sum.tokensIn += finite(event.tokensIn)
      sum.tokensOut += finite(event.tokensOut)
      sum.costUsd += finite(event.costUsd)
    } else if (event.type === 'final' || event.type === 'task_end') {
      sum.status = event.status
      sum.reason = event.reason
      if (event.type === 'final' && event.error) {
        sum.error = { kind: event.error.kind, ...(event.error.status !== undefined ? { status: event.error.status } : {}) }
      }
    }
    if (kept.length < maxEvents) kept.push(clean)
    else sum.droppedEvents++
    return clean
  }
  return {
    onEvent,
    push: onEvent,
    get events() {
      return kept
    },
    summary: () => ({ ...sum, countsByType: { ...sum.countsByType } }),
    clear() {
      kept = []
      sum = emptySummary()
    },
  }
}

/**
 * A collector for {@link runAgentTaskStream} events, redacted by default.
 * @stable
 * @example
 * const c = createRuntimeStreamEventCollector()
 * for await (const e of runAgentTaskStream(opts)) c.onEvent(e)
 * console.log(c.events, c.summary().textChars)
 */
export function createRuntimeStreamEventCollector(options: RuntimeEventCollectorOptions = {}): RuntimeEventCollector<RuntimeStreamEvent> {
  return makeCollector<RuntimeStreamEvent>(sanitizeRuntimeStreamEvent, options)
}

/**
 * A collector for {@link runAgentTask} events (including control steps), redacted by default.
 * @stable
 * @example
 * const c = createRuntimeEventCollector()
 * await runAgentTask({ task, adapter, onEvent: c.onEvent })
 */
export function createRuntimeEventCollector(options: RuntimeEventCollectorOptions = {}): RuntimeEventCollector<AgentRuntimeEvent> {
  return makeCollector<AgentRuntimeEvent>(sanitizeAgentRuntimeEvent, options)
}
