import type { BackendStreamEvent } from '../contracts/events.js'
import { type ChatPricing, computeChatCostUsd } from './pricing.js'
import { type SseDecoderOptions, type StreamChunkSource, createSseDecoder } from './sse.js'
import { readContentParts, streamPayloadError } from './stream-payload.js'

/** Options of {@link createChatCompletionStreamParser}. @stable */
export interface ChatStreamParserOptions {
  /** Model named on the `llm_call` event (the configured model, so pricing tables and dashboards match). */
  model: string
  /** Prices the `llm_call` (`costUsd`) when given. */
  pricing?: ChatPricing
  /** Backend kind named by errors (default `openai-compatible`). */
  backend?: string
}

/** Turns chat-completion stream payloads into backend events. @stable */
export interface ChatStreamParser {
  /** Parses one payload (an SSE `data` value or an NDJSON line). */
  push(payload: string): BackendStreamEvent[]
  /** Ends the stream: flushes unfinished tool calls and emits the `llm_call`. */
  finish(info?: { latencyMs?: number }): BackendStreamEvent[]
}

type Json = Record<string, unknown>
type ToolCallEvent = Extract<BackendStreamEvent, { type: 'tool_call' }>
type LlmCallEvent = Extract<BackendStreamEvent, { type: 'llm_call' }>

interface PendingCall {
  id?: string
  name?: string
  args: string
  /** Arguments that arrived already parsed (Anthropic `input`, Ollama objects). */
  argsValue?: unknown
}

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined)

/** Tool arguments: parsed JSON, `{}` when empty, the raw string when it is not JSON. */
function toolArgs(call: PendingCall): unknown {
  if (call.args.trim() === '') return call.argsValue ?? {}
  try {
    return JSON.parse(call.args)
  } catch {
    return call.args
  }
}

function isJsonOrBlank(line: string): boolean {
  const t = line.trim()
  if (t === '' || t === '[DONE]') return true
  try {
    JSON.parse(t)
    return true
  } catch {
    return false
  }
}

function toolCallEvent(call: PendingCall): ToolCallEvent {
  const ev: ToolCallEvent = { type: 'tool_call', toolName: call.name || 'tool', args: toolArgs(call) }
  if (call.id) ev.toolCallId = call.id
  return ev
}

/**
 * Creates the chat-completion stream parser behind
 * {@link createOpenAICompatibleBackend}. It reads the OpenAI chunk shape
 * (`choices[0].delta`), whole `message` objects, bare `text`, the Anthropic
 * event shape some routers pass through (`content_block_*`, `message_*`) and
 * Ollama's NDJSON. Text becomes `text_delta`; `reasoning_content`/`reasoning`
 * and Anthropic thinking become `reasoning_delta`; tool calls are assembled
 * across chunks (OpenAI by `index`, a new `id` on a reused index starting a new
 * call; Anthropic by content block) and emitted once each when finished; the
 * usage becomes one `llm_call` at the end. `content` given as an array of
 * parts (Mistral) yields its `text` parts as text and its `thinking` parts as
 * reasoning. A `refusal` streams as text and marks the `llm_call` with
 * `refusal: true`. Payloads that are not JSON become raw text. An `error`
 * payload (also one alongside `choices`) or `finish_reason: "error"` throws
 * {@link BackendTransportError} whose `status` is the HTTP status the error
 * names (`code` 429, `server_error` → 500, `overloaded_error` → 503).
 * @stable
 * @example
 * const p = createChatCompletionStreamParser({ model: 'gpt-4o-mini' })
 * p.push('{"choices":[{"delta":{"content":"Hi"}}]}') // → [{ type: 'text_delta', text: 'Hi' }]
 */
export function createChatCompletionStreamParser(options: ChatStreamParserOptions): ChatStreamParser {
  const backend = options.backend ?? 'openai-compatible'
  const openaiCalls = new Map<number, PendingCall>()
  const anthropicCalls = new Map<number, PendingCall>()
  let lastOpenaiIndex = -1
  let tokensIn: number | undefined
  let tokensOut: number | undefined
  let finishReason: string | undefined
  let responseModel: string | undefined
  let refused = false
  let out: BackendStreamEvent[] = []

  const text = (t: unknown) => {
    if (typeof t === 'string' && t.length > 0) out.push({ type: 'text_delta', text: t })
  }
  const reasoning = (t: unknown) => {
    if (typeof t === 'string' && t.length > 0) out.push({ type: 'reasoning_delta', text: t })
  }
  // A refusal (OpenAI `refusal`) is the answer the user sees, so it streams as text; the `llm_call` marks it.
  const refusal = (t: unknown) => {
    if (typeof t === 'string' && t.length > 0) {
      refused = true
      out.push({ type: 'text_delta', text: t })
    }
  }
  const flush = (calls: Map<number, PendingCall>) => {
    const keys = [...calls.keys()].sort((a, b) => a - b)
    for (const k of keys) out.push(toolCallEvent(calls.get(k)!))
    calls.clear()
  }
  const readUsage = (u: Json | undefined) => {
    if (!u) return
    const i = num(u.prompt_tokens) ?? num(u.input_tokens)
    const o = num(u.completion_tokens) ?? num(u.output_tokens)
    // Some servers repeat cumulative usage on every chunk: the last value wins.
    if (i !== undefined) tokensIn = i
    if (o !== undefined) tokensOut = o
  }

  function openaiToolDelta(entry: Json, position: number): void {
    const fn = obj(entry.function)
    const id = str(entry.id) || undefined
    let index = num(entry.index)
    if (index === undefined) {
      // No index: continue the call with this id, else the last call, else open one by position.
      const byId = id ? [...openaiCalls].find(([, c]) => c.id === id)?.[0] : undefined
      index = byId ?? (id ? Math.max(lastOpenaiIndex + 1, position) : lastOpenaiIndex >= 0 ? lastOpenaiIndex : position)
    }
    let call = openaiCalls.get(index)
    if (call && id && call.id && call.id !== id) {
      // Some servers reuse index 0 for every parallel call; a new id means a new call.
      out.push(toolCallEvent(call))
      openaiCalls.delete(index)
      call = undefined
    }
    if (!call) {
      call = { args: '' }
      openaiCalls.set(index, call)
    }
    lastOpenaiIndex = index
    if (id && !call.id) call.id = id
    const name = str(fn?.name)
    if (name && !call.name) call.name = name
    const args = fn?.arguments
    if (typeof args === 'string') call.args += args
    else if (obj(args)) call.argsValue = args
  }

  function wholeToolCalls(list: unknown): void {
    if (!Array.isArray(list)) return
    for (const entry of list) {
      const e = obj(entry)
      const fn = obj(e?.function)
      if (!e || !fn) continue
      const args = fn.arguments
      out.push(
        toolCallEvent({
          id: str(e.id) || undefined,
          name: str(fn.name),
          args: typeof args === 'string' ? args : '',
          argsValue: obj(args),
        }),
      )
    }
  }

  function openaiChunk(chunk: Json, payload: string): void {
    const choices = chunk.choices
    const choice = Array.isArray(choices) ? obj(choices[0]) : undefined
    if (choice) {
      const delta = obj(choice.delta)
      if (delta) {
        reasoning(delta.reasoning_content ?? delta.reasoning)
        readContentParts(delta.content, text, reasoning)
        refusal(delta.refusal)
        if (Array.isArray(delta.tool_calls)) {
          delta.tool_calls.forEach((e, i) => {
            const entry = obj(e)
            if (entry) openaiToolDelta(entry, i)
          })
        }
        const fc = obj(delta.function_call)
        if (fc) openaiToolDelta({ index: -1, function: fc }, 0)
      }
      const message = obj(choice.message)
      if (message) {
        reasoning(message.reasoning_content ?? message.reasoning)
        readContentParts(message.content, text, reasoning)
        refusal(message.refusal)
        wholeToolCalls(message.tool_calls)
      }
      text(choice.text)
      const fr = str(choice.finish_reason)
      if (fr === 'error') throw streamPayloadError(backend, payload, chunk.error, true)
      if (fr) {
        finishReason = fr
        // Any finish reason closes the calls in flight, not only 'tool_calls'.
        flush(openaiCalls)
      }
    }
    readUsage(obj(chunk.usage))
  }

  function anthropicEvent(type: string, ev: Json): void {
    const index = num(ev.index) ?? 0
    if (type === 'message_start') {
      const message = obj(ev.message)
      const usage = obj(message?.usage)
      const i = num(usage?.input_tokens)
      const o = num(usage?.output_tokens)
      if (i !== undefined) tokensIn = i
      if (o !== undefined) tokensOut = o
      responseModel = str(message?.model) ?? responseModel
    } else if (type === 'content_block_start') {
      const block = obj(ev.content_block)
      if (block?.type === 'tool_use' || block?.type === 'server_tool_use') {
        const input = obj(block.input)
        anthropicCalls.set(index, {
          id: str(block.id) || undefined,
          name: str(block.name),
          args: '',
          argsValue: input && Object.keys(input).length > 0 ? input : undefined,
        })
      } else if (block?.type === 'text') text(block.text)
      else if (block?.type === 'thinking') reasoning(block.thinking)
    } else if (type === 'content_block_delta') {
      const delta = obj(ev.delta)
      if (delta?.type === 'input_json_delta') {
        const call = anthropicCalls.get(index) ?? { args: '' }
        anthropicCalls.set(index, call)
        if (typeof delta.partial_json === 'string') call.args += delta.partial_json
      } else if (delta?.type === 'thinking_delta') reasoning(delta.thinking)
      else if (delta) text(delta.text)
    } else if (type === 'content_block_stop') {
      const call = anthropicCalls.get(index)
      if (call) {
        out.push(toolCallEvent(call))
        anthropicCalls.delete(index)
      }
    } else if (type === 'message_delta') {
      const delta = obj(ev.delta)
      finishReason = str(delta?.stop_reason) ?? finishReason
      // Anthropic's refusal carries its explanation beside the stop reason, not as a text block.
      if (delta?.stop_reason === 'refusal') {
        refused = true
        text(obj(delta.stop_details)?.explanation)
      }
      const usage = obj(ev.usage)
      const i = num(usage?.input_tokens)
      const o = num(usage?.output_tokens)
      if (i !== undefined && i > 0) tokensIn = i
      if (o !== undefined) tokensOut = o
    }
  }

  function push(payload: string): BackendStreamEvent[] {
    out = []
    const trimmed = payload.trim()
    if (trimmed === '' || trimmed === '[DONE]') return out
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      // Several JSON objects in one event (servers that forget the blank line): parse each line.
      // Only when every line is JSON: multi-line plain text must keep its line breaks.
      const lines = payload.includes('\n') ? payload.split('\n') : undefined
      if (lines && lines.length > 1 && lines.every(isJsonOrBlank)) {
        const results: BackendStreamEvent[] = []
        for (const l of lines) results.push(...push(l))
        out = results
        return out
      }
      out.push({ type: 'text_delta', text: payload })
      return out
    }
    if (typeof parsed === 'string') {
      text(parsed)
      return out
    }
    const chunk = obj(parsed)
    if (!chunk) return out
    const type = str(chunk.type)
    // Any error object fails the stream, also one sent alongside `choices` (OpenRouter's mid-stream errors).
    if (type === 'error' || obj(chunk.error) || typeof chunk.error === 'string') {
      throw streamPayloadError(backend, payload, chunk.error ?? chunk)
    }
    responseModel = str(chunk.model) ?? responseModel
    if (type && (type.startsWith('message_') || type.startsWith('content_block_'))) {
      anthropicEvent(type, chunk)
      return out
    }
    openaiChunk(chunk, payload)
    const message = obj(chunk.message)
    if (message && !Array.isArray(chunk.choices)) {
      // Whole-message shapes (Ollama NDJSON, non-stream replies).
      reasoning(message.thinking ?? message.reasoning_content)
      text(message.content)
      wholeToolCalls(message.tool_calls)
    }
    if (!Array.isArray(chunk.choices)) text(chunk.text)
    if (chunk.done === true) {
      // Ollama's final line carries the usage as eval counts.
      const i = num(chunk.prompt_eval_count)
      const o = num(chunk.eval_count)
      if (i !== undefined) tokensIn = i
      if (o !== undefined) tokensOut = o
      finishReason = str(chunk.done_reason) ?? finishReason
    }
    return out
  }

  return {
    push,
    finish(info = {}) {
      out = []
      flush(openaiCalls)
      flush(anthropicCalls)
      if (tokensIn !== undefined || tokensOut !== undefined || finishReason !== undefined || refused) {
        const ev: LlmCallEvent = { type: 'llm_call', model: options.model }
        if (tokensIn !== undefined) ev.tokensIn = tokensIn
        if (tokensOut !== undefined) ev.tokensOut = tokensOut
        const cost = computeChatCostUsd(options.pricing, [options.model, responseModel], tokensIn, tokensOut)
        if (cost !== undefined) ev.costUsd = cost
        if (info.latencyMs !== undefined) ev.latencyMs = info.latencyMs
        if (finishReason !== undefined) ev.finishReason = finishReason
        if (refused) ev.refusal = true
        out.push(ev)
      }
      return out
    },
  }
}

/** Options of {@link parseChatCompletionStream}. @stable */
export interface ParseChatCompletionStreamOptions extends ChatStreamParserOptions, Omit<SseDecoderOptions, 'backend'> {}

/**
 * Parses a whole chat-completion stream body (SSE or NDJSON bytes, cut
 * anywhere) into backend events: {@link createSseDecoder} feeding
 * {@link createChatCompletionStreamParser}. Throws only
 * {@link BackendTransportError} (an `error` payload or an over-long line).
 * @stable
 * @example
 * for await (const ev of parseChatCompletionStream(response.body!, { model: 'gpt-4o-mini' })) console.log(ev)
 */
export async function* parseChatCompletionStream(
  source: StreamChunkSource,
  options: ParseChatCompletionStreamOptions,
): AsyncGenerator<BackendStreamEvent> {
  const decoder = createSseDecoder({ maxMessageChars: options.maxMessageChars, backend: options.backend ?? 'openai-compatible' })
  const parser = createChatCompletionStreamParser(options)
  // One generator and plain index loops: every extra generator layer or
  // `yield*` over a per-chunk array costs a resume per event (see bench/openai-sse).
  const reader = typeof (source as ReadableStream<Uint8Array>).getReader === 'function' ? (source as ReadableStream<Uint8Array>).getReader() : undefined
  try {
    if (reader) {
      while (true) {
        const { done, value } = await reader.read()
        if (done) break
        const messages = decoder.push(value)
        for (let m = 0; m < messages.length; m++) {
          const events = parser.push(messages[m].data)
          for (let e = 0; e < events.length; e++) yield events[e]
        }
      }
    } else {
      for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
        const messages = decoder.push(chunk)
        for (let m = 0; m < messages.length; m++) {
          const events = parser.push(messages[m].data)
          for (let e = 0; e < events.length; e++) yield events[e]
        }
      }
    }
  } finally {
    reader?.releaseLock()
  }
  const messages = decoder.end()
  for (let m = 0; m < messages.length; m++) {
    const events = parser.push(messages[m].data)
    for (let e = 0; e < events.length; e++) yield events[e]
  }
  const last = parser.finish()
  for (let e = 0; e < last.length; e++) yield last[e]
}
