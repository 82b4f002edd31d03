import { BackendTransportError } from '../errors.js'

/** One server-sent event, or one bare NDJSON line. @stable */
export interface SseMessage {
  /** The `data:` lines joined with `\n`, or the whole line for NDJSON. */
  data: string
  /** The `event:` field, when the frame named one. */
  event?: string
  /** The `id:` field, when the frame carried one. */
  id?: string
}

/** Options of {@link createSseDecoder} and {@link parseSseStream}. @stable */
export interface SseDecoderOptions {
  /**
   * Longest line or event payload kept in memory, in characters (default 8 MiB).
   * A longer one throws {@link BackendTransportError}: a peer that never sends a
   * line break must not grow our buffer without bound.
   */
  maxMessageChars?: number
  /** Backend kind named by the errors this decoder throws (default `sse`). */
  backend?: string
}

/** Incremental SSE/NDJSON decoder: feed it chunks cut anywhere, get whole messages. @stable */
export interface SseDecoder {
  /** Feeds bytes (decoded as streaming UTF-8) or text; returns the messages completed by it. */
  push(chunk: Uint8Array | string): SseMessage[]
  /** Ends the stream: flushes a last unterminated line and an undispatched event. */
  end(): SseMessage[]
}

const DEFAULT_MAX_MESSAGE_CHARS = 8 * 1024 * 1024
const SSE_FIELDS = new Set(['data', 'event', 'id', 'retry'])

/**
 * Creates an incremental decoder for `text/event-stream` bodies that also
 * tolerates NDJSON. Lines end in LF, CRLF or CR (a CRLF split across chunks
 * counts once). `data:`/`event:`/`id:` lines build an event that a blank line
 * dispatches; `:` lines are comments; `retry:` is ignored; any other line is
 * dispatched alone as an NDJSON message. Multi-byte UTF-8 characters cut
 * between chunks decode correctly; invalid bytes become U+FFFD. Unlike a
 * browser `EventSource`, an event left unterminated at end of stream is still
 * dispatched, since servers often close right after the last `data:` line.
 * @stable
 * @example
 * const d = createSseDecoder()
 * d.push('data: {"a"')          // → []
 * d.push(':1}\n\n')             // → [{ data: '{"a":1}' }]
 */
export function createSseDecoder(options: SseDecoderOptions = {}): SseDecoder {
  const max = options.maxMessageChars ?? DEFAULT_MAX_MESSAGE_CHARS
  const backend = options.backend ?? 'sse'
  const decoder = new TextDecoder('utf-8')
  let buffer = ''
  let skipLeadingLf = false
  let dataLines: string[] = []
  let dataChars = 0
  let hasData = false
  let eventName: string | undefined
  let eventId: string | undefined
  let out: SseMessage[] = []

  const tooLong = (what: string) =>
    new BackendTransportError(
      backend,
      `stream ${what} exceeds the ${max}-character limit; the peer is not sending a line-delimited stream, or raise maxMessageChars`,
    )

  function dispatch(): void {
    if (hasData) {
      const msg: SseMessage = { data: dataLines.length === 1 ? dataLines[0] : dataLines.join('\n') }
      if (eventName !== undefined) msg.event = eventName
      if (eventId !== undefined) msg.id = eventId
      out.push(msg)
    }
    dataLines = []
    dataChars = 0
    hasData = false
    eventName = undefined
    eventId = undefined
  }

  function onLine(line: string): void {
    if (line.length === 0) {
      dispatch()
      return
    }
    // Checked per line as well as on the buffer, so the outcome does not depend on where chunks were cut.
    if (line.length > max) throw tooLong('line')
    if (line.charCodeAt(0) === 58 /* ':' */) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    if (!SSE_FIELDS.has(field)) {
      // NDJSON tolerance: a bare line is a message of its own. Anything pending
      // was sent first, so it is dispatched first.
      dispatch()
      out.push({ data: line })
      return
    }
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1)
    if (field === 'data') {
      dataChars += value.length + 1
      if (dataChars > max) throw tooLong('event')
      dataLines.push(value)
      hasData = true
    } else if (field === 'event') eventName = value
    else if (field === 'id') eventId = value
  }

  function consume(text: string): void {
    if (skipLeadingLf && text.length > 0) {
      skipLeadingLf = false
      if (text.charCodeAt(0) === 10) text = text.slice(1)
    }
    buffer = buffer.length === 0 ? text : buffer + text
    let start = 0
    let cr = buffer.indexOf('\r')
    let lf = buffer.indexOf('\n')
    while (cr !== -1 || lf !== -1) {
      let end: number
      let next: number
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr
        if (cr + 1 < buffer.length) next = buffer.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1
        else {
          // A CR ending the chunk ends the line; an LF opening the next chunk belongs to it.
          next = cr + 1
          skipLeadingLf = true
        }
      } else {
        end = lf
        next = lf + 1
      }
      onLine(buffer.slice(start, end))
      start = next
      if (cr !== -1 && cr < start) cr = buffer.indexOf('\r', start)
      if (lf !== -1 && lf < start) lf = buffer.indexOf('\n', start)
    }
    buffer = start === 0 ? buffer : buffer.slice(start)
    if (buffer.length > max) throw tooLong('line')
  }

  return {
    push(chunk) {
      out = []
      consume(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }))
      return out
    },
    end() {
      out = []
      const tail = decoder.decode()
      if (tail.length > 0) consume(tail)
      if (buffer.length > 0) {
        onLine(buffer)
        buffer = ''
      }
      dispatch()
      return out
    },
  }
}

/** A byte or text source: a WHATWG `ReadableStream` or any (async) iterable of chunks. @stable */
export type StreamChunkSource =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>

/**
 * Iterates the chunks of a {@link StreamChunkSource}, releasing a stream's lock when the caller stops early. @stable
 * @example
 * for await (const chunk of iterateChunks(response.body!)) console.log(chunk.length)
 */
export async function* iterateChunks(source: StreamChunkSource): AsyncGenerator<Uint8Array | string> {
  if (typeof (source as ReadableStream<Uint8Array>).getReader === 'function') {
    const reader = (source as ReadableStream<Uint8Array>).getReader()
    try {
      while (true) {
        const { done, value } = await reader.read()
        if (done) return
        yield value
      }
    } finally {
      reader.releaseLock()
    }
  }
  yield* source as AsyncIterable<Uint8Array | string>
}

/**
 * Parses a whole SSE/NDJSON body into messages (see {@link createSseDecoder}).
 * @stable
 * @example
 * for await (const msg of parseSseStream(response.body!)) console.log(msg.event, msg.data)
 */
export async function* parseSseStream(source: StreamChunkSource, options: SseDecoderOptions = {}): AsyncGenerator<SseMessage> {
  const decoder = createSseDecoder(options)
  const reader = typeof (source as ReadableStream<Uint8Array>).getReader === 'function' ? (source as ReadableStream<Uint8Array>).getReader() : undefined
  try {
    if (reader) {
      while (true) {
        const { done, value } = await reader.read()
        if (done) break
        const messages = decoder.push(value)
        for (let i = 0; i < messages.length; i++) yield messages[i]
      }
    } else {
      for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
        const messages = decoder.push(chunk)
        for (let i = 0; i < messages.length; i++) yield messages[i]
      }
    }
  } finally {
    reader?.releaseLock()
  }
  const rest = decoder.end()
  for (let i = 0; i < rest.length; i++) yield rest[i]
}
