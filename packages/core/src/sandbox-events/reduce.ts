import type { SandboxEvent } from '../contracts/sandbox.js'

/** Token and cost totals read off sandbox events. @stable */
export interface SandboxUsage {
  inputTokens: number
  outputTokens: number
  costUsd?: number
}

/** A sandbox event stream folded into one turn result. @stable */
export interface SandboxTurnResult {
  text: string
  usage?: SandboxUsage
  costUsd?: number
  traceId?: string
  error?: string
  /** True when the stream ended on `done`, `result` or `final` rather than running out. */
  terminated: boolean
  /** Model named by the last usage-bearing event, when any did. */
  model?: string
}

const INPUT_KEYS = ['inputTokens', 'tokensIn', 'prompt_tokens', 'input_tokens'] as const
const OUTPUT_KEYS = ['outputTokens', 'tokensOut', 'completion_tokens', 'output_tokens'] as const
const COST_KEYS = ['costUsd', 'totalCostUsd', 'cost_usd', 'cost'] as const

function firstFinite(obj: Record<string, unknown> | undefined, keys: readonly string[]): number | undefined {
  if (!obj) return undefined
  for (const k of keys) {
    const v = obj[k]
    if (typeof v === 'number' && Number.isFinite(v)) return v
  }
  return undefined
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

/**
 * Reads token usage and cost from one sandbox event, whatever alias the
 * producer used. Usage-typed events (`llm_call`, `cost.usage`, `usage`) carry
 * it on `data`; others on `data.usage` or `data.tokenUsage`. Undefined when the
 * event carries none.
 * @stable
 * @example
 * readSandboxUsage({ type: 'result', data: { tokenUsage: { inputTokens: 3, outputTokens: 4 } } }) // → { inputTokens: 3, outputTokens: 4, … }
 */
export function readSandboxUsage(event: SandboxEvent): { inputTokens?: number; outputTokens?: number; costUsd?: number; model?: string } | undefined {
  const data = asRecord(event.data) ?? {}
  const direct = event.type === 'llm_call' || event.type === 'cost.usage' || event.type === 'usage'
  const usage = direct ? data : (asRecord(data.usage) ?? asRecord(data.tokenUsage))
  if (!usage) {
    const cost = firstFinite(data, COST_KEYS)
    return cost === undefined || !['result', 'final', 'message.completed'].includes(event.type) ? undefined : { costUsd: cost }
  }
  const inputTokens = firstFinite(usage, INPUT_KEYS)
  const outputTokens = firstFinite(usage, OUTPUT_KEYS)
  const costUsd = firstFinite(usage, COST_KEYS) ?? firstFinite(data, COST_KEYS)
  if (inputTokens === undefined && outputTokens === undefined && costUsd === undefined) return undefined
  const model = typeof data.model === 'string' ? data.model : typeof usage.model === 'string' ? usage.model : undefined
  return { inputTokens, outputTokens, costUsd, model }
}

/**
 * Reads the text a sandbox event adds to the reply: `message.part.updated`
 * text parts (delta, else content; `partId` names the part so parts of one
 * message add up instead of replacing each other), `message.updated`
 * `content`, and `text_delta`/`delta` events. Undefined for events that carry
 * no reply text.
 * @stable
 * @example
 * readSandboxTextDelta({ type: 'text_delta', data: { text: 'hi' } }) // → { text: 'hi', replace: false }
 */
export function readSandboxTextDelta(event: SandboxEvent): { text: string; replace: boolean; partId?: string } | undefined {
  const data = asRecord(event.data) ?? {}
  if (event.type === 'message.part.updated') {
    const part = asRecord(data.part)
    if (part && part.type !== undefined && part.type !== 'text') return undefined
    const partId = typeof part?.id === 'string' ? part.id : undefined
    if (typeof data.delta === 'string') return { text: data.delta, replace: false, ...(partId ? { partId } : {}) }
    const content = part?.text ?? part?.content
    return typeof content === 'string' ? { text: content, replace: true, ...(partId ? { partId } : {}) } : undefined
  }
  if (event.type === 'message.updated') {
    return typeof data.content === 'string' ? { text: data.content, replace: true } : undefined
  }
  if (event.type === 'text_delta' || event.type === 'delta') {
    const t = data.text ?? data.delta
    return typeof t === 'string' ? { text: t, replace: false } : undefined
  }
  return undefined
}

/**
 * Folds a sandbox event stream into `{text, usage, costUsd, traceId, error}`.
 * Text deltas accumulate (per message part); `result`/`final` `finalText`
 * (or `text`) overrides them; usage is summed across events, and a
 * `result`/`final` carrying usage replaces the sum with its totals; the last `error`
 * event is kept; the fold stops at `done`, `result` or `final`.
 * @stable
 * @example
 * const { text, usage, error } = await reduceSandboxEvents(box.streamPrompt('Fix the failing test'))
 */
export async function reduceSandboxEvents(events: AsyncIterable<SandboxEvent> | Iterable<SandboxEvent>): Promise<SandboxTurnResult> {
  const state = createSandboxEventReducer()
  for await (const event of events as AsyncIterable<SandboxEvent>) {
    if (state.push(event)) break
  }
  return state.result()
}

/** Running token and cost totals of one sandbox turn. @stable */
export interface SandboxUsageTotals {
  inputTokens: number
  outputTokens: number
  costUsd?: number
}

/**
 * Folds one event's usage into running totals, in place. A `result` or
 * `final` event's usage is the turn's total (sandbox SDK: authoritative) and
 * replaces what was summed so far; any other event's usage adds to it.
 * Returns the usage read off the event, or undefined when it carries none.
 * @stable
 * @example
 * const totals = { inputTokens: 0, outputTokens: 0 }
 * for (const e of events) accumulateSandboxUsage(totals, e)
 */
export function accumulateSandboxUsage(totals: SandboxUsageTotals, event: SandboxEvent): ReturnType<typeof readSandboxUsage> {
  const usage = readSandboxUsage(event)
  if (!usage) return undefined
  if (event.type === 'result' || event.type === 'final') {
    if (usage.inputTokens !== undefined) totals.inputTokens = usage.inputTokens
    if (usage.outputTokens !== undefined) totals.outputTokens = usage.outputTokens
    if (usage.costUsd !== undefined) totals.costUsd = usage.costUsd
  } else {
    totals.inputTokens += usage.inputTokens ?? 0
    totals.outputTokens += usage.outputTokens ?? 0
    if (usage.costUsd !== undefined) totals.costUsd = (totals.costUsd ?? 0) + usage.costUsd
  }
  return usage
}

/**
 * Incremental form of {@link reduceSandboxEvents}: `push` returns true once the stream is terminal. @stable
 * @example
 * const r = createSandboxEventReducer()
 * for await (const e of events) if (r.push(e)) break
 * console.log(r.result().text)
 */
export function createSandboxEventReducer(): { push(event: SandboxEvent): boolean; result(): SandboxTurnResult } {
  // Reply text as ordered segments: one per message part id, plus anonymous
  // segments for deltas that name no part. A replace without a part id
  // replaces the whole text.
  let segments: { partId?: string; text: string }[] = []
  let finalText: string | undefined
  const totals: SandboxUsageTotals = { inputTokens: 0, outputTokens: 0 }
  let sawUsage = false
  let model: string | undefined
  let traceId: string | undefined
  let error: string | undefined
  let terminated = false
  const applyText = (delta: { text: string; replace: boolean; partId?: string }) => {
    if (delta.partId === undefined) {
      if (delta.replace) segments = [{ text: delta.text }]
      else {
        const tail = segments[segments.length - 1]
        if (tail && tail.partId === undefined) tail.text += delta.text
        else segments.push({ text: delta.text })
      }
      return
    }
    const seg = segments.find((s) => s.partId === delta.partId)
    if (!seg) segments.push({ partId: delta.partId, text: delta.text })
    else seg.text = delta.replace ? delta.text : seg.text + delta.text
  }
  return {
    push(event) {
      if (terminated) return true
      const data = asRecord(event.data) ?? {}
      const delta = readSandboxTextDelta(event)
      if (delta) applyText(delta)
      const usage = accumulateSandboxUsage(totals, event)
      if (usage) {
        sawUsage = true
        if (usage.model !== undefined) model = usage.model
      }
      if (event.type === 'trace.id' && typeof data.traceId === 'string') traceId = data.traceId
      if (event.type === 'error') {
        const nested = asRecord(data.error)
        error =
          typeof data.message === 'string'
            ? data.message
            : typeof nested?.message === 'string'
              ? nested.message
              : typeof data.error === 'string'
                ? data.error
                : JSON.stringify(data)
      }
      if (event.type === 'result' || event.type === 'final') {
        const t = data.finalText ?? data.text
        if (typeof t === 'string') finalText = t
        terminated = true
      }
      if (event.type === 'done') terminated = true
      return terminated
    },
    result() {
      const text = segments.length === 1 ? segments[0].text : segments.map((s) => s.text).join('')
      return {
        text: finalText ?? text,
        usage: sawUsage ? { ...totals } : undefined,
        costUsd: totals.costUsd,
        traceId,
        error,
        terminated,
        ...(model !== undefined ? { model } : {}),
      }
    },
  }
}
