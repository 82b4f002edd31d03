import type { LoopTraceEmitter, LoopTraceEventKind, LoopTracePayloads, LoopTraceEvent } from '../../contracts/loop.js'
import type { Clock } from '../../util/clock.js'
import { canonicalJson, fnv1a32 } from '../../util/hash.js'

/** Longest `outputPreview` in `loop.iteration.ended`, before the ellipsis. @experimental */
export const LOOP_OUTPUT_PREVIEW_CHARS = 280

/** Emits one loop's trace events; never throws, whatever the sink does. */
export interface LoopTracer {
  /** Emits and waits for an async sink, so events reach it in order. */
  emit<K extends LoopTraceEventKind>(kind: K, payload: LoopTracePayloads[K]): Promise<void>
  /** Emits without waiting (used for `loop.ended`, so a slow sink never delays the result). */
  emitDetached<K extends LoopTraceEventKind>(kind: K, payload: LoopTracePayloads[K]): void
}

/**
 * Builds the tracer of one loop run. Sink errors, sync or async, are swallowed:
 * telemetry is best-effort and must never change the outcome of a loop.
 */
export function createLoopTracer(runId: string, emitter: LoopTraceEmitter | undefined, now: Clock): LoopTracer {
  const send = <K extends LoopTraceEventKind>(kind: K, payload: LoopTracePayloads[K]): Promise<void> | undefined => {
    if (!emitter) return undefined
    try {
      const event = { kind, runId, timestamp: now(), payload } as LoopTraceEvent
      const pending = emitter.emit(event)
      if (pending && typeof (pending as Promise<void>).then === 'function') {
        return (pending as Promise<void>).then(undefined, () => undefined)
      }
    } catch {
      // best-effort: a throwing sink is ignored
    }
    return undefined
  }
  return {
    async emit(kind, payload) {
      await send(kind, payload)
    },
    emitDetached(kind, payload) {
      void send(kind, payload)
    },
  }
}

/**
 * FNV-1a hash (8 hex chars) of a value's canonical JSON, as used in trace payloads.
 * @experimental
 * @example
 * hashTraceValue({ b: 1, a: 2 }) === hashTraceValue({ a: 2, b: 1 }) // true
 */
export function hashTraceValue(value: unknown): string {
  return fnv1a32(canonicalJson(value))
}

/**
 * A short human-readable preview of an output: strings as-is, others as JSON, cut at 280 chars with "…".
 * @experimental
 * @example
 * previewOutput({ ok: true }) // '{"ok":true}'
 */
export function previewOutput(output: unknown, maxChars = LOOP_OUTPUT_PREVIEW_CHARS): string | undefined {
  if (output === undefined) return undefined
  let text: string
  if (typeof output === 'string') text = output
  else {
    try {
      text = JSON.stringify(output) ?? String(output)
    } catch {
      text = String(output)
    }
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text
}

/** Renders a driver decision for `loop.decision`: strings as-is, anything else as canonical JSON. */
export function renderDecision(decision: unknown): string {
  return typeof decision === 'string' ? decision : canonicalJson(decision)
}
