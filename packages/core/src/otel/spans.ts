import type {
  LoopIterationDispatchPayload,
  LoopIterationEndedPayload,
  LoopIterationStartedPayload,
  LoopPlanPayload,
  LoopTraceEvent,
} from '../contracts/loop.js'
import { fnv1a32 } from '../util/hash.js'

/** An OTLP/JSON attribute value: exactly one of the four primitive encodings. @experimental */
export type OtelAttributeValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean }

/** An OTLP/JSON key-value attribute. @experimental */
export interface OtelAttribute {
  key: string
  value: OtelAttributeValue
}

/** OTLP span status: 0 unset, 1 ok, 2 error. @experimental */
export interface OtelSpanStatus {
  code: 0 | 1 | 2
  message?: string
}

/**
 * A span in OTLP/JSON shape. Ids are lowercase hex (32 for traces, 16 for
 * spans); times are epoch nanoseconds as decimal strings.
 * @experimental
 */
export interface OtelSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  /** 1 = internal. */
  kind?: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes?: OtelAttribute[]
  status?: OtelSpanStatus
}

/** OTLP span kind `INTERNAL`, used for every loop span. @experimental */
export const OTEL_SPAN_KIND_INTERNAL = 1

const HEX = /^[0-9a-f]*$/

function normalizeId(id: string, length: number): string {
  const raw = String(id).replaceAll('-', '').toLowerCase()
  if (HEX.test(raw)) {
    const fitted = raw.length >= length ? raw.slice(0, length) : raw.padEnd(length, '0')
    if (/[1-9a-f]/.test(fitted)) return fitted
  }
  // Not hex (e.g. a run id) or all zeros (invalid in OTLP and W3C, receivers drop it):
  // derive stable hex from the input rather than send an invalid id.
  let out = ''
  for (let i = 0; out.length < length; i++) out += fnv1a32(`${i}:${id}`)
  return out.slice(0, length)
}

/**
 * A trace id as OTLP wants it: dashes stripped, then truncated or zero-padded
 * to 32 hex chars (a UUID maps to itself without dashes). Non-hex input, and
 * input that would give the invalid all-zero id, is hashed to stable hex.
 * @experimental
 * @example
 * normalizeTraceId('4bf92f35-77b3-4da6-a3ce-929d0e0e4736') // '4bf92f3577b34da6a3ce929d0e0e4736'
 */
export function normalizeTraceId(id: string): string {
  return normalizeId(id, 32)
}

/**
 * A span id as OTLP wants it: dashes stripped, truncated or zero-padded to 16
 * hex chars; non-hex or all-zero input is hashed to stable hex.
 * @experimental
 * @example
 * normalizeSpanId('00f067aa0ba902b7') // '00f067aa0ba902b7'
 */
export function normalizeSpanId(id: string): string {
  return normalizeId(id, 16)
}

/**
 * Epoch milliseconds as an OTLP nanosecond string, exact for fractional ms.
 * @experimental
 * @example
 * msToUnixNano(1.5) // '1500000'
 */
export function msToUnixNano(ms: number): string {
  if (!Number.isFinite(ms)) return '0'
  const whole = Math.trunc(ms)
  const frac = Math.round((ms - whole) * 1e6)
  return (BigInt(whole) * 1_000_000n + BigInt(frac)).toString()
}

/** A stable 16-hex span id for one node of one run's tree. */
function deriveSpanId(...parts: (string | number)[]): string {
  const seed = parts.join('|')
  return fnv1a32(seed) + fnv1a32(`${seed}#`)
}

type AttrValue = string | number | boolean | undefined | { double: number }

/**
 * Encodes attributes in OTLP/JSON form: strings, booleans, integers
 * (`intValue` as a string), and `{double: x}` or non-integers as `doubleValue`.
 * Undefined and non-finite values are dropped.
 * @experimental
 * @example
 * toOtelAttributes({ 'tangle.cost.usd': { double: 0.5 }, 'tangle.loop.iterations': 3 })
 */
export function toOtelAttributes(values: Record<string, AttrValue>): OtelAttribute[] {
  const out: OtelAttribute[] = []
  for (const [key, v] of Object.entries(values)) {
    if (v === undefined) continue
    if (typeof v === 'string') out.push({ key, value: { stringValue: v } })
    else if (typeof v === 'boolean') out.push({ key, value: { boolValue: v } })
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) continue
      out.push({ key, value: Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v } })
    } else if (Number.isFinite(v.double)) out.push({ key, value: { doubleValue: v.double } })
  }
  return out
}

/**
 * Reads OTLP attributes back into plain values (`intValue` as a number).
 * @experimental
 * @example
 * otelAttributesToRecord(span.attributes)['gen_ai.operation.name'] // 'invoke_agent'
 */
export function otelAttributesToRecord(attributes: readonly OtelAttribute[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {}
  for (const { key, value } of attributes ?? []) {
    if ('stringValue' in value) out[key] = value.stringValue
    else if ('intValue' in value) out[key] = Number(value.intValue)
    else if ('doubleValue' in value) out[key] = value.doubleValue
    else if ('boolValue' in value) out[key] = value.boolValue
  }
  return out
}

/**
 * One loop trace event as a flat, zero-duration span named after its kind,
 * with `loop.event_kind`, `loop.run_id` and `loop.<key>` for every primitive
 * payload field. For sinks that want raw events; {@link buildLoopOtelSpans}
 * builds the real tree.
 * @experimental
 * @example
 * const span = loopEventToOtelSpan(event, traceId)
 */
export function loopEventToOtelSpan(event: LoopTraceEvent, traceId: string, parentSpanId?: string): OtelSpan {
  const attrs: Record<string, AttrValue> = { 'loop.event_kind': event.kind, 'loop.run_id': event.runId }
  for (const [key, value] of Object.entries(event.payload as unknown as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attrs[`loop.${key}`] = value
  }
  const time = msToUnixNano(event.timestamp)
  const trace = normalizeTraceId(traceId)
  return {
    traceId: trace,
    spanId: deriveSpanId(trace, event.runId, event.kind, event.timestamp, JSON.stringify(event.payload)),
    parentSpanId: parentSpanId ? normalizeSpanId(parentSpanId) : undefined,
    name: event.kind,
    kind: OTEL_SPAN_KIND_INTERNAL,
    startTimeUnixNano: time,
    endTimeUnixNano: time,
    attributes: toOtelAttributes(attrs),
    status: { code: 1 },
  }
}

/** Options of {@link buildLoopOtelSpans}. @experimental */
export interface BuildLoopOtelSpansOptions {
  /** What the loop worked on (a repo, a ticket), as `tangle.subject.key`. */
  subjectKey?: string
}

interface RoundNode {
  plan: LoopPlanPayload
  spanId: string
  start: number
  end: number
  decision?: string
}

function buildRun(events: readonly LoopTraceEvent[], traceId: string, rootParent: string | undefined, options: BuildLoopOtelSpansOptions): OtelSpan[] {
  const runId = events[0].runId
  const times = events.map((e) => e.timestamp)
  let started: Extract<LoopTraceEvent, { kind: 'loop.started' }> | undefined
  let ended: Extract<LoopTraceEvent, { kind: 'loop.ended' }> | undefined
  const rounds: RoundNode[] = []
  const iterStart = new Map<number, { at: number; p: LoopIterationStartedPayload }>()
  const iterEnd = new Map<number, { at: number; p: LoopIterationEndedPayload }>()
  const dispatch = new Map<number, LoopIterationDispatchPayload>()
  const teardown = new Map<number, string>()

  for (const e of events) {
    switch (e.kind) {
      case 'loop.started':
        started ??= e
        break
      case 'loop.ended':
        ended = e
        break
      case 'loop.plan': {
        const prev = rounds.at(-1)
        if (prev && prev.decision === undefined) prev.end = e.timestamp
        rounds.push({ plan: e.payload, spanId: deriveSpanId(traceId, runId, 'round', e.payload.roundIndex, rounds.length), start: e.timestamp, end: -1 })
        break
      }
      case 'loop.decision': {
        const round = [...rounds].reverse().find((r) => r.plan.roundIndex === e.payload.roundIndex && r.decision === undefined)
        if (round) {
          round.decision = e.payload.decision
          round.end = e.timestamp
        }
        break
      }
      case 'loop.iteration.started':
        iterStart.set(e.payload.iterationIndex, { at: e.timestamp, p: e.payload })
        break
      case 'loop.iteration.ended':
        iterEnd.set(e.payload.iterationIndex, { at: e.timestamp, p: e.payload })
        break
      case 'loop.iteration.dispatch':
        dispatch.set(e.payload.iterationIndex, e.payload)
        break
      case 'loop.teardown.failed':
        if (e.payload.iterationIndex !== undefined) teardown.set(e.payload.iterationIndex, e.payload.reason)
        break
    }
  }

  const loopStart = started?.timestamp ?? Math.min(...times)
  const loopEnd = Math.max(ended?.timestamp ?? Math.max(...times), loopStart)
  const loopSpanId = deriveSpanId(traceId, runId, 'loop')
  // A round that never got its decision (abort, failure) lasts until the loop ended.
  for (const r of rounds) if (r.end < 0) r.end = loopEnd
  const iterations: OtelSpan[] = []
  const roundOf = (p: LoopIterationStartedPayload): RoundNode | undefined =>
    rounds.find((r) => r.plan.roundIndex === p.roundIndex && r.plan.childIndices.includes(p.iterationIndex)) ??
    rounds.find((r) => r.plan.childIndices.includes(p.iterationIndex))

  for (const [index, { at, p }] of [...iterStart].sort((a, b) => a[0] - b[0])) {
    const end = iterEnd.get(index)
    const place = dispatch.get(index)
    const round = roundOf(p)
    const endAt = Math.max(end?.at ?? (end ? at + end.p.durationMs : loopEnd), at)
    if (round) round.end = Math.max(round.end, endAt)
    const error = end ? end.p.error : 'no loop.iteration.ended event (the loop ended first)'
    iterations.push({
      traceId,
      spanId: deriveSpanId(traceId, runId, 'iteration', index),
      parentSpanId: round?.spanId ?? loopSpanId,
      name: 'loop.iteration',
      kind: OTEL_SPAN_KIND_INTERNAL,
      startTimeUnixNano: msToUnixNano(at),
      endTimeUnixNano: msToUnixNano(endAt),
      attributes: toOtelAttributes({
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': p.agentRunName,
        'gen_ai.conversation.id': runId,
        'gen_ai.usage.input_tokens': end?.p.tokenUsage?.input,
        'gen_ai.usage.output_tokens': end?.p.tokenUsage?.output,
        'tangle.run.id': runId,
        'tangle.loop.iteration.index': index,
        'tangle.loop.round.index': p.roundIndex,
        'tangle.cost.usd': end ? { double: end.p.costUsd } : undefined,
        'tangle.loop.verdict.valid': end?.p.verdict?.valid,
        'tangle.loop.verdict.score': end?.p.verdict ? { double: end.p.verdict.score } : undefined,
        'tangle.loop.error': error,
        'tangle.loop.iteration.group_id': p.groupId,
        'tangle.loop.iteration.parent_index': p.parentIndex,
        'tangle.loop.iteration.duration_ms': end?.p.durationMs,
        'tangle.loop.iteration.output_preview': end?.p.outputPreview,
        'tangle.loop.task.hash': p.taskHash,
        'tangle.loop.output.hash': end?.p.outputHash,
        'tangle.loop.placement.kind': place?.placement,
        'tangle.sandbox.id': place?.sandboxId,
        'tangle.fleet.id': place?.fleetId,
        'tangle.machine.id': place?.machineId,
        'tangle.loop.teardown.error': teardown.get(index),
      }),
      status: error ? { code: 2, message: error } : { code: 1 },
    })
  }

  const roundSpans: OtelSpan[] = rounds.map((r) => {
    const end = Math.max(r.end, r.start)
    return {
      traceId,
      spanId: r.spanId,
      parentSpanId: loopSpanId,
      name: 'loop.round',
      kind: OTEL_SPAN_KIND_INTERNAL,
      startTimeUnixNano: msToUnixNano(r.start),
      endTimeUnixNano: msToUnixNano(end),
      attributes: toOtelAttributes({
        'gen_ai.operation.name': 'invoke_workflow',
        'gen_ai.conversation.id': runId,
        'tangle.run.id': runId,
        'tangle.loop.round.index': r.plan.roundIndex,
        'tangle.loop.move.kind': r.plan.moveKind,
        'tangle.loop.move.round': r.plan.roundIndex,
        'tangle.loop.move.width': r.plan.plannedCount,
        'tangle.loop.move.rationale': r.plan.rationale,
        'tangle.loop.move.parent_index': r.plan.parentIndex,
        'tangle.loop.move.child_indices': r.plan.childIndices.join(','),
        'tangle.loop.decision': r.decision,
      }),
      status: { code: 1 },
    }
  })

  const decision = ended?.payload.decision
  const failed = decision === 'failed' || decision === 'aborted'
  const loopSpan: OtelSpan = {
    traceId,
    spanId: loopSpanId,
    parentSpanId: rootParent,
    name: 'loop',
    kind: OTEL_SPAN_KIND_INTERNAL,
    startTimeUnixNano: msToUnixNano(loopStart),
    endTimeUnixNano: msToUnixNano(loopEnd),
    attributes: toOtelAttributes({
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.conversation.id': runId,
      'tangle.run.id': runId,
      'tangle.loop.driver': started?.payload.driver,
      'tangle.loop.agents': started?.payload.agentRunNames.join(','),
      'tangle.loop.max_iterations': started?.payload.maxIterations,
      'tangle.subject.key': options.subjectKey,
      'tangle.loop.winner.iteration_index': ended?.payload.winnerIterationIndex,
      'tangle.cost.usd': ended ? { double: ended.payload.totalCostUsd } : undefined,
      'tangle.loop.duration_ms': ended?.payload.durationMs ?? loopEnd - loopStart,
      'tangle.loop.iterations': ended?.payload.iterations ?? iterStart.size,
      'tangle.loop.decision': decision,
    }),
    status: failed ? { code: 2, message: `loop ${decision}` } : { code: 1 },
  }
  return [loopSpan, ...roundSpans, ...iterations]
}

/**
 * Turns loop trace events into the nested OpenTelemetry GenAI span tree
 * `loop` → `loop.round` → `loop.iteration`, with real durations (a round runs
 * from its `loop.plan` to its `loop.decision`) and the `gen_ai.*` and
 * `tangle.*` attributes. Span ids are derived from the trace id and run id,
 * so re-exporting the same run gives the same ids. Events of several runs
 * give one tree per run.
 * @experimental
 * @example
 * const spans = buildLoopOtelSpans(events, traceId)
 * for (const span of spans) exporter?.exportSpan(span)
 */
export function buildLoopOtelSpans(
  events: readonly LoopTraceEvent[],
  traceId: string,
  rootParentSpanId?: string,
  options: BuildLoopOtelSpansOptions = {},
): OtelSpan[] {
  const trace = normalizeTraceId(traceId)
  const parent = rootParentSpanId ? normalizeSpanId(rootParentSpanId) : undefined
  const byRun = new Map<string, LoopTraceEvent[]>()
  for (const e of events) {
    const list = byRun.get(e.runId)
    if (list) list.push(e)
    else byRun.set(e.runId, [e])
  }
  return [...byRun.values()].flatMap((run) => buildRun(run, trace, parent, options))
}
