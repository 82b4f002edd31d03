/**
 * Reads a structured result an agent reported through its event stream: the
 * payload of the last result-like event, else the last fenced ```json block
 * found in the streamed text. Agents are untrusted, so nothing here throws.
 */
import type { SandboxEvent } from '../contracts/sandbox.js'

/** Keys under which sandbox events carry text. */
const TEXT_KEYS = ['text', 'delta', 'content'] as const

/** How much of the end of the streamed text is searched for a fenced block; bounds the work on hostile input. */
const MAX_FENCE_SCAN_CHARS = 512 * 1024

/**
 * The object an agent reported: the last event of one of `types` whose
 * `data.result ?? data.output ?? data` is (or parses to) an object that
 * `accept` takes, else the last such fenced JSON object in the concatenated
 * text. `undefined` when none.
 * @example
 * readReportedObject([{ type: 'result', data: { result: { patch: '' } } }], ['result']) // { patch: '' }
 * @experimental
 */
export function readReportedObject(
  events: readonly SandboxEvent[],
  types: readonly string[],
  accept: (value: Record<string, unknown>) => boolean = () => true,
): Record<string, unknown> | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]
    if (!event || !types.includes(event.type) || !isRecord(event.data)) continue
    const data = event.data
    const candidate = data.result ?? data.output ?? data
    const found = toObject(candidate)
    if (found && accept(found)) return found
  }
  const text = collectText(events)
  return lastFencedJsonObject(text.length > MAX_FENCE_SCAN_CHARS ? text.slice(-MAX_FENCE_SCAN_CHARS) : text, accept)
}

/** Concatenated streamed text: `data.text`, `data.delta` or `data.content` strings, in order. @experimental */
export function collectText(events: readonly SandboxEvent[]): string {
  let out = ''
  for (const event of events) {
    if (!event || !isRecord(event.data)) continue
    for (const key of TEXT_KEYS) {
      const value = event.data[key]
      if (typeof value === 'string') {
        out += value
        break
      }
    }
  }
  return out
}

/** The last ```json (or bare ```) fenced block in `text` that parses to a JSON object. @experimental */
export function lastFencedJsonObject(
  text: string,
  accept: (value: Record<string, unknown>) => boolean = () => true,
): Record<string, unknown> | undefined {
  const fence = /```(?:json|JSON)?[ \t]*\r?\n([\s\S]*?)```/g
  let found: Record<string, unknown> | undefined
  for (let match = fence.exec(text); match !== null; match = fence.exec(text)) {
    const parsed = parseJsonObject(match[1])
    if (parsed && accept(parsed)) found = parsed
  }
  return found
}

function toObject(value: unknown): Record<string, unknown> | undefined {
  if (isRecord(value)) return value
  if (typeof value === 'string') return parseJsonObject(value) ?? lastFencedJsonObject(value)
  return undefined
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text)
    return isRecord(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

/** True for plain objects (not arrays, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
