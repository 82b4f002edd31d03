import type { AgentBackendContext, AgentBackendInput, AgentExecutionBackend, OpenAIChatTool, OpenAIChatToolChoice } from '../contracts/backend.js'
import type { BackendStreamEvent } from '../contracts/events.js'
import { BackendTransportError, createAbortError, ValidationError } from '../errors.js'
import { createChatCompletionStreamParser } from './chat-stream.js'
import { type ChatPricing, validateChatPricing } from './pricing.js'
import { type ChatRetryOptions, chatBackoffDelayMs, parseRetryAfterMs, type ResolvedChatRetryPolicy, resolveChatRetryPolicy } from './retry.js'
import { createSseDecoder } from './sse.js'
import { describeValue } from '../util/describe-value.js'
import { describeNetworkError } from './network-error.js'

/** Options of {@link createOpenAICompatibleBackend}. @stable */
export interface OpenAICompatibleBackendOptions {
  /** Bearer token. Omit (or leave empty) for keyless local servers such as Ollama or vLLM. */
  apiKey?: string
  /** Base URL up to the API version, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended. */
  baseUrl: string
  model: string
  /** Backend kind recorded on sessions and errors (default `tcloud`). */
  kind?: string
  /** Function tools offered to the model. The backend reports calls; it never runs them. */
  tools?: OpenAIChatTool[]
  /** Sent only together with a non-empty `tools`. */
  toolChoice?: OpenAIChatToolChoice
  /** Defaults to the global `fetch`. */
  fetchImpl?: typeof fetch
  retry?: ChatRetryOptions
  /** OpenAI `response_format`, e.g. `{type: 'json_object'}` or a `json_schema` object. */
  responseFormat?: Record<string, unknown>
  /** Sampling temperature, 0–2. */
  temperature?: number
  /** Sent as `max_tokens`. */
  maxTokens?: number
  /** Adds `costUsd` to the `llm_call`. */
  pricing?: ChatPricing
  /** Extra static headers (after auth, before the context's propagated headers). */
  headers?: Record<string, string>
}

type ChatRequestMessage = { role: string; content: string }

function requireText(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') {
    throw new ValidationError(`createOpenAICompatibleBackend: ${name} must be a non-empty string; got ${JSON.stringify(v)}`)
  }
  return v.trim()
}

function validate(o: OpenAICompatibleBackendOptions): { url: string; model: string } {
  const base = requireText('baseUrl', o.baseUrl).replace(/\/+$/, '')
  try {
    new URL(base)
  } catch {
    throw new ValidationError(`createOpenAICompatibleBackend: baseUrl ${JSON.stringify(o.baseUrl)} is not an absolute URL; use e.g. https://api.openai.com/v1`)
  }
  const model = requireText('model', o.model)
  if (o.temperature !== undefined && !(Number.isFinite(o.temperature) && o.temperature >= 0 && o.temperature <= 2)) {
    throw new ValidationError(`createOpenAICompatibleBackend: temperature must be a number in [0, 2]; got ${describeValue(o.temperature)}`)
  }
  if (o.maxTokens !== undefined && !(Number.isInteger(o.maxTokens) && o.maxTokens > 0)) {
    throw new ValidationError(`createOpenAICompatibleBackend: maxTokens must be a positive integer; got ${describeValue(o.maxTokens)}`)
  }
  if (o.tools !== undefined && !Array.isArray(o.tools)) {
    throw new ValidationError(`createOpenAICompatibleBackend: tools must be an array of {type:'function', function:{name}}; got ${JSON.stringify(o.tools)}`)
  }
  if (o.pricing !== undefined) validateChatPricing(o.pricing)
  return { url: `${base}/chat/completions`, model }
}

function requestMessages(input: AgentBackendInput): ChatRequestMessage[] {
  if (input.messages && input.messages.length > 0) return input.messages.map((m) => ({ role: m.role, content: m.content }))
  return [{ role: 'user', content: input.message ?? input.task.intent }]
}

/** Reads at most `limit` characters of an error body; a broken or stalled body yields what arrived. */
async function readErrorBody(response: Response, limit = 8192): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  try {
    while (text.length < limit) {
      const { done, value } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
    text += decoder.decode()
  } catch {
    // The body broke off; the status is what matters.
  } finally {
    reader.cancel().catch(() => {})
  }
  return text
}

/**
 * The machine-readable code of an upstream error body (`error.code`, else
 * `error.type`), when it is a short identifier such as `model_not_found`. The
 * free-text `error.message` is left in the body on purpose: it can quote the
 * prompt, and telemetry redacts bodies but keeps messages.
 */
function upstreamErrorCode(body: string): string | undefined {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch {
    return undefined
  }
  const root = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
  const error = typeof root.error === 'object' && root.error !== null ? (root.error as Record<string, unknown>) : root
  for (const v of [error.code, error.type]) {
    if (typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v)) return v
  }
  return undefined
}

function statusHint(status: number, baseUrl: string, model: string): string {
  if (status === 401 || status === 403) return 'check the API key (apiKey, OPENAI_API_KEY or TANGLE_API_KEY) and its permissions'
  if (status === 402) return 'the account behind the API key is out of credits; add billing or use another key'
  if (status === 404) return `check baseUrl (${baseUrl}) and that model "${model}" exists there`
  if (status === 429) return 'still rate limited after every retry; lower concurrency or raise retry.maxAttempts'
  if (status >= 500) return 'the upstream server is failing; retry later or switch provider'
  return 'the request was rejected'
}

/** Aborts one attempt's controller after a timeout, remembering why. */
class AttemptTimer {
  reason: string | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  constructor(private readonly controller: AbortController) {}
  arm(ms: number, reason: string): void {
    this.disarm()
    if (ms > 0) {
      this.timer = setTimeout(() => {
        this.reason = reason
        this.controller.abort(new Error(reason))
      }, ms)
    }
  }
  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }
}

/**
 * Creates a backend for any OpenAI-compatible `/chat/completions` endpoint
 * (the Tangle router, OpenAI, vLLM, Ollama, LiteLLM). It streams with
 * `stream_options.include_usage`, merges `ctx.propagatedHeaders` into the
 * request, aborts on `ctx.signal`, and yields `text_delta`, `reasoning_delta`,
 * `tool_call` (never executed) and one `llm_call` per reply.
 *
 * Retries (see {@link ChatRetryPolicy}): network errors, per-attempt
 * timeouts and `retryStatuses`, with backoff or the server's `Retry-After`;
 * never after a caller abort, which rethrows an `AbortError`. A stream that
 * breaks before yielding any event is retried too; once events were yielded
 * it cannot be replayed, so it throws {@link BackendTransportError} with the
 * response's status and a message saying the stream was interrupted. Other
 * failures throw {@link BackendTransportError}: `status` 0 when no response
 * came, else the HTTP status with the body truncated to 2 KiB.
 * @stable
 * @example
 * const backend = createOpenAICompatibleBackend({ apiKey, baseUrl: 'https://api.openai.com/v1', model: 'gpt-4o-mini' })
 * for await (const ev of runAgentTaskStream({ task, backend, input: { task, message: 'Hi' } })) console.log(ev.type)
 */
export function createOpenAICompatibleBackend(options: OpenAICompatibleBackendOptions): AgentExecutionBackend {
  const { url, model } = validate(options)
  const kind = options.kind ?? 'tcloud'
  const policy = resolveChatRetryPolicy(options.retry)
  const fetchImpl = options.fetchImpl ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args))
  const tools = options.tools && options.tools.length > 0 ? options.tools : undefined

  function requestBody(input: AgentBackendInput): string {
    const body: Record<string, unknown> = { model, stream: true, stream_options: { include_usage: true }, messages: requestMessages(input) }
    if (tools) {
      body.tools = tools
      if (options.toolChoice !== undefined) body.tool_choice = options.toolChoice
    }
    if (options.responseFormat !== undefined) body.response_format = options.responseFormat
    if (options.temperature !== undefined) body.temperature = options.temperature
    if (options.maxTokens !== undefined) body.max_tokens = options.maxTokens
    return JSON.stringify(body)
  }

  function requestHeaders(ctx: AgentBackendContext): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' }
    if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`
    // Lower-cased so `Authorization` from a caller replaces ours instead of being joined to it.
    for (const extra of [options.headers, ctx.propagatedHeaders]) {
      for (const [name, value] of Object.entries(extra ?? {})) headers[name.toLowerCase()] = value
    }
    return headers
  }

  return {
    kind,
    async *stream(input, ctx) {
      yield* streamChat(kind, url, model, policy, fetchImpl, options.pricing, requestBody(input), requestHeaders(ctx), ctx.signal)
    },
  }
}

function callerAbort(signal: AbortSignal): Error {
  return createAbortError('chat request aborted by the caller', signal.reason)
}

async function* streamChat(
  kind: string,
  url: string,
  model: string,
  policy: ResolvedChatRetryPolicy,
  fetchImpl: typeof fetch,
  pricing: ChatPricing | undefined,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): AsyncGenerator<BackendStreamEvent> {
  const baseUrl = url.slice(0, -'/chat/completions'.length)
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw callerAbort(signal)
    const last = attempt >= policy.maxAttempts
    const controller = new AbortController()
    const timer = new AttemptTimer(controller)
    const onAbort = () => controller.abort(signal?.reason)
    signal?.addEventListener('abort', onAbort, { once: true })
    let retryDelayMs: number | undefined
    try {
      const started = policy.now()
      let response: Response
      try {
        timer.arm(policy.requestTimeoutMs, `no response headers within ${policy.requestTimeoutMs} ms`)
        response = await fetchImpl(url, { method: 'POST', headers, body, signal: controller.signal })
      } catch (err) {
        if (signal?.aborted) throw callerAbort(signal)
        if (last) {
          const why = timer.reason ?? describeNetworkError(err, url)
          throw new BackendTransportError(kind, `chat backend unreachable after ${attempt} attempt(s) (POST ${url}): ${why}`, { status: 0, cause: err })
        }
        retryDelayMs = chatBackoffDelayMs(attempt, policy)
        continue
      } finally {
        timer.disarm()
      }

      if (!response.ok) {
        timer.arm(policy.idleTimeoutMs, 'error body stalled')
        const text = await readErrorBody(response)
        timer.disarm()
        if (signal?.aborted) throw callerAbort(signal)
        if (!last && policy.retryStatuses.includes(response.status)) {
          const asked = parseRetryAfterMs(response.headers, policy.now())
          retryDelayMs = asked !== undefined ? Math.min(asked, policy.maxBackoffMs) : chatBackoffDelayMs(attempt, policy)
          continue
        }
        const code = upstreamErrorCode(text)
        throw new BackendTransportError(
          kind,
          `chat backend returned ${response.status} after ${attempt} attempt(s) (POST ${url}, model ${model})${code ? ` [${code}]` : ''}; ${statusHint(response.status, baseUrl, model)}; the upstream message is in the error body`,
          { status: response.status, body: text },
        )
      }

      const decoder = createSseDecoder({ backend: kind })
      const parser = createChatCompletionStreamParser({ model, pricing, backend: kind })
      let emitted = 0
      try {
        const reader = response.body?.getReader()
        while (reader) {
          timer.arm(policy.idleTimeoutMs, `no data for ${policy.idleTimeoutMs} ms`)
          const { done, value } = await reader.read()
          timer.disarm()
          const messages = done ? decoder.end() : decoder.push(value)
          for (const msg of messages) {
            for (const ev of parser.push(msg.data)) {
              emitted++
              yield ev
            }
          }
          if (done) break
        }
        if (!reader) decoder.end()
        for (const ev of parser.finish({ latencyMs: Math.max(0, policy.now() - started) })) yield ev
        return
      } catch (err) {
        timer.disarm()
        if (signal?.aborted) throw callerAbort(signal)
        const upstream = err instanceof BackendTransportError ? err : undefined
        const status = upstream?.status ?? response.status
        const retryable = upstream ? upstream.status !== undefined && policy.retryStatuses.includes(upstream.status) : true
        if (emitted === 0 && retryable && !last) {
          // Nothing reached the caller yet, so a fresh attempt is indistinguishable from this one.
          retryDelayMs = chatBackoffDelayMs(attempt, policy)
          continue
        }
        if (upstream) throw new BackendTransportError(kind, upstream.message, { status, body: upstream.body, cause: err })
        const why = timer.reason ?? describeNetworkError(err, url)
        throw new BackendTransportError(kind, `chat backend stream interrupted after ${emitted} event(s) (POST ${url}): ${why}; the partial reply cannot be replayed, retry the task`, {
          status,
          cause: err,
        })
      }
    } finally {
      timer.disarm()
      signal?.removeEventListener('abort', onAbort)
      // Releases the connection when the caller stops early or an attempt is abandoned.
      controller.abort()
      if (retryDelayMs !== undefined) await policy.sleep(retryDelayMs, signal)
    }
  }
}
