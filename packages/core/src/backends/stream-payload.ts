// Helpers of the chat-stream parser that read provider-specific payload
// shapes: content given as an array of parts, and errors reported inside a
// stream whose HTTP status already went out as 200.
import { BackendTransportError } from '../errors.js'

type Json = Record<string, unknown>

const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined)

/**
 * Splits `content` given as an array of parts (Mistral, Magistral) into text
 * and reasoning: `{type:'text', text}` is answer text; `{type:'thinking',
 * thinking}` is reasoning, where `thinking` is a string or itself an array of
 * text parts. A plain string is all text. Unknown parts (images, references)
 * carry no text and are skipped.
 */
export function readContentParts(content: unknown, text: (t: unknown) => void, reasoning: (t: unknown) => void): void {
  if (!Array.isArray(content)) {
    text(content)
    return
  }
  for (const entry of content) {
    if (typeof entry === 'string') {
      text(entry)
      continue
    }
    const part = obj(entry)
    if (!part) continue
    if (part.type === 'thinking' || part.type === 'reasoning') {
      const inner = part.thinking ?? part.reasoning ?? part.text
      if (Array.isArray(inner)) readContentParts(inner, reasoning, reasoning)
      else reasoning(inner)
    } else if (part.type === 'text' || part.type === undefined) text(part.text)
  }
}

/**
 * Upstream error codes that name an HTTP status without a number. Anthropic's
 * `overloaded_error` travels as HTTP 529 on their API; it is reported as 503
 * (Service Unavailable), the standard status for an overloaded server, so the
 * default retry policy treats it as the transient failure it is.
 */
const STATUS_OF_ERROR_CODE: Record<string, number> = {
  server_error: 500,
  internal_error: 500,
  internal_server_error: 500,
  api_error: 500,
  overloaded_error: 503,
  overloaded: 503,
  service_unavailable: 503,
  rate_limit_error: 429,
  rate_limit_exceeded: 429,
  timeout_error: 504,
  bad_gateway: 502,
  provider_unavailable: 502,
}

/**
 * The HTTP status an in-stream error names: a numeric `code`/`status` (also as
 * a numeric string) in 100–599, else a known code or type such as
 * `server_error` or `overloaded_error`, else OpenRouter's `metadata.error_type`.
 */
export function statusOfStreamError(error: unknown): number | undefined {
  const e = obj(error)
  if (!e) return undefined
  for (const v of [e.code, e.status, e.status_code]) {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{3}$/.test(v) ? Number(v) : undefined
    if (n !== undefined && Number.isInteger(n) && n >= 100 && n <= 599) return n
  }
  for (const v of [e.code, e.type, obj(e.metadata)?.error_type]) {
    if (typeof v === 'string' && STATUS_OF_ERROR_CODE[v] !== undefined) return STATUS_OF_ERROR_CODE[v]
  }
  return undefined
}

/**
 * A short machine code of an in-stream error (`code` or `type`, e.g.
 * `overloaded_error`). Its free-text message stays in the body: it can quote
 * the prompt, and telemetry redacts bodies but keeps messages.
 */
function streamErrorTag(error: unknown): string | undefined {
  const e = obj(error)
  for (const v of [e?.code, e?.type]) {
    if (typeof v === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(v)) return v
  }
  return undefined
}

/** The error thrown for an error reported inside a stream, carrying the status it names. */
export function streamPayloadError(backend: string, payload: string, error: unknown, finishReasonError = false): BackendTransportError {
  const status = statusOfStreamError(error)
  const tag = streamErrorTag(error)
  const what = finishReasonError && error === undefined ? 'ended the stream with finish_reason "error"' : 'reported an error mid-stream'
  return new BackendTransportError(
    backend,
    `chat backend ${what}${status !== undefined ? ` (status ${status})` : ''}${tag ? ` [${tag}]` : ''}; the upstream message is in the error body`,
    { status, body: payload },
  )
}
