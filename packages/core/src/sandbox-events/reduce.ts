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
  /** True when the stream ended on `done` or `result` rather than running out. */
  terminated: boolean
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
 * text parts (delta, else content), `text_delta`/`delta` events. Undefined for
 * events that carry no reply text.
 * @stable
 */
export function readSandboxTextDelta(event: SandboxEvent): { text: string; replace: boolean } | undefined {
  const data = asRecord(event.data) ?? {}
  if (event.type === 'message.part.updated') {
    const part = asRecord(data.part)
    if (part && part.type !== undefined && part.type !== 'text') return undefined
    if (typeof data.delta === 'string') return { text: data.delta, replace: false }
    const content = part?.text ?? part?.content
    return typeof content === 'string' ? { text: content, replace: true } : undefined
  }
  if (event.type === 'text_delta' || event.type === 'delta') {
    const t = data.text ?? data.delta
    return typeof t === 'string' ? { text: t, replace: false } : undefined
  }
  return undefined
}

/**
 * Folds a sandbox event stream into `{text, usage, costUsd, traceId, error}`.
 * Text deltas accumulate; `result.finalText` overrides them; usage is summed
 * across events; `error` events are kept; the fold stops at `done` or `result`.
 * @stable
 */
export async function reduceSandboxEvents(events: AsyncIterable<SandboxEvent> | Iterable<SandboxEvent>): Promise<SandboxTurnResult> {
  const state = createSandboxEventReducer()
  for await (const event of events as AsyncIterable<SandboxEvent>) {
    if (state.push(event)) break
  }
  return state.result()
}

/** Incremental form of {@link reduceSandboxEvents}: `push` returns true once the stream is terminal. @stable */
export function createSandboxEventReducer(): { push(event: SandboxEvent): boolean; result(): SandboxTurnResult } {
  let text = ''
  let finalText: string | undefined
  let inputTokens = 0
  let outputTokens = 0
  let cost: number | undefined
  let sawUsage = false
  let traceId: string | undefined
  let error: string | undefined
  let terminated = false
  return {
    push(event) {
      if (terminated) return true
      const data = asRecord(event.data) ?? {}
      const delta = readSandboxTextDelta(event)
      if (delta) text = delta.replace ? delta.text : text + delta.text
      const usage = readSandboxUsage(event)
      if (usage) {
        sawUsage = true
        inputTokens += usage.inputTokens ?? 0
        outputTokens += usage.outputTokens ?? 0
        if (usage.costUsd !== undefined) cost = (cost ?? 0) + usage.costUsd
      }
      if (event.type === 'trace.id' && typeof data.traceId === 'string') traceId = data.traceId
      if (event.type === 'error') error = typeof data.message === 'string' ? data.message : JSON.stringify(data)
      if (event.type === 'result') {
        if (typeof data.finalText === 'string') finalText = data.finalText
        terminated = true
      }
      if (event.type === 'done') terminated = true
      return terminated
    },
    result() {
      return {
        text: finalText ?? text,
        usage: sawUsage ? { inputTokens, outputTokens, ...(cost !== undefined ? { costUsd: cost } : {}) } : undefined,
        costUsd: cost,
        traceId,
        error,
        terminated,
      }
    },
  }
}
