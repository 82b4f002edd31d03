import { ValidationError, errorMessage } from '../errors.js'
import type { ChatStreamEvent } from './types.js'

const encoder = new TextEncoder()

/**
 * Serialises one event as an NDJSON line (JSON plus `\n`). JSON escapes
 * newlines inside strings, so a line never splits.
 * @stable
 * @example
 * encodeChatStreamLine({ type: 'text_delta', data: { text: 'hi' } }) // Uint8Array of '{"type":"text_delta","data":{"text":"hi"}}\n'
 */
export function encodeChatStreamLine(event: ChatStreamEvent): Uint8Array {
  return encoder.encode(`${stringifyChatEvent(event, 'encodeChatStreamLine')}\n`)
}

/** JSON of one event, or a {@link ValidationError} naming `where` for values JSON cannot hold (BigInt, cycles). */
export function stringifyChatEvent(event: ChatStreamEvent, where: string): string {
  let json: string | undefined
  try {
    json = JSON.stringify(event)
  } catch (err) {
    throw new ValidationError(`${where}: event of type ${JSON.stringify(String(event?.type))} is not JSON-serialisable (${errorMessage(err)}); events must be plain JSON.`, { cause: err })
  }
  if (typeof json !== 'string') throw new ValidationError(`${where}: ${String(event)} is not a JSON object; events must be plain JSON.`)
  return json
}

/**
 * Parses one NDJSON line into a {@link ChatStreamEvent}. Throws a
 * {@link ValidationError} for invalid JSON or an object without a string `type`.
 * @stable
 * @example
 * parseChatStreamLine('{"type":"session.run.started"}') // { type: 'session.run.started' }
 */
export function parseChatStreamLine(line: string): ChatStreamEvent {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err) {
    throw new ValidationError(`parseChatStreamLine: not valid JSON: ${JSON.stringify(line.slice(0, 200))}; each line must be one JSON object.`, { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
    throw new ValidationError(`parseChatStreamLine: expected an object with a string "type", got ${JSON.stringify(line.slice(0, 200))}.`)
  }
  return value as ChatStreamEvent
}

/**
 * Reads an NDJSON chat body (a `Response.body`, or any async iterable of
 * byte chunks) and yields its events as they arrive. Chunks may split lines
 * and multi-byte characters anywhere; blank lines and `\r\n` endings are
 * accepted; a final line without a newline is still parsed.
 * @stable
 * @example
 * for await (const event of readChatStream(response.body!)) console.log(event.type)
 */
export async function* readChatStream(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<ChatStreamEvent, void, undefined> {
  const decoder = new TextDecoder()
  let buffered = ''
  for await (const chunk of toAsyncIterable(body)) {
    buffered += decoder.decode(chunk, { stream: true })
    let newline = buffered.indexOf('\n')
    while (newline !== -1) {
      const line = buffered.slice(0, newline)
      buffered = buffered.slice(newline + 1)
      const event = parseNonBlank(line)
      if (event) yield event
      newline = buffered.indexOf('\n')
    }
  }
  buffered += decoder.decode()
  const last = parseNonBlank(buffered)
  if (last) yield last
}

function parseNonBlank(line: string): ChatStreamEvent | undefined {
  const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line
  return trimmed.trim() === '' ? undefined : parseChatStreamLine(trimmed)
}

function toAsyncIterable(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (Symbol.asyncIterator in body) return body as AsyncIterable<Uint8Array>
  const stream = body as ReadableStream<Uint8Array>
  return {
    async *[Symbol.asyncIterator]() {
      const reader = stream.getReader()
      let finished = false
      try {
        while (true) {
          const { done, value } = await reader.read()
          if (done) {
            finished = true
            return
          }
          yield value
        }
      } finally {
        // A consumer that stops early cancels the body, which aborts the turn upstream.
        if (!finished) await reader.cancel().catch(() => {})
        reader.releaseLock()
      }
    },
  }
}
