import { type ChatStreamEvent, encodeChatStreamLine, parseChatStreamLine, readChatStream } from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const eventArb: fc.Arbitrary<ChatStreamEvent> = fc.record(
  { type: fc.string({ unit: 'grapheme' }), data: fc.jsonValue() },
  { requiredKeys: ['type'] },
) as fc.Arbitrary<ChatStreamEvent>

async function collect(chunks: Uint8Array[]): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = []
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk)
      c.close()
    },
  })
  for await (const e of readChatStream(body)) out.push(e)
  return out
}

/** Splits bytes at the given cut points (which may fall inside multi-byte characters). */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const p of sorted) {
    out.push(bytes.slice(from, p))
    from = p
  }
  out.push(bytes.slice(from))
  return out
}

describe('chat NDJSON', () => {
  it('round-trips any JSON events however the bytes are chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), async (events, points) => {
        const lines = events.map(encodeChatStreamLine)
        const all = new Uint8Array(lines.reduce((n, l) => n + l.length, 0))
        let at = 0
        for (const l of lines) {
          all.set(l, at)
          at += l.length
        }
        const decoded = await collect(cut(all, points))
        expect(decoded).toEqual(JSON.parse(JSON.stringify(events)))
      }),
      { numRuns: 200 },
    )
  })

  it('accepts CRLF endings, blank lines and a last line without a newline', async () => {
    const text = '{"type":"a"}\r\n\n  \r\n{"type":"b","data":1}\n{"type":"c"}'
    expect(await collect([new TextEncoder().encode(text)])).toEqual([{ type: 'a' }, { type: 'b', data: 1 }, { type: 'c' }])
  })

  it('reads from any async iterable of byte chunks', async () => {
    async function* chunks() {
      yield new TextEncoder().encode('{"type":"x"}\n{"ty')
      yield new TextEncoder().encode('pe":"y"}\n')
    }
    const out: ChatStreamEvent[] = []
    for await (const e of readChatStream(chunks())) out.push(e)
    expect(out).toEqual([{ type: 'x' }, { type: 'y' }])
  })

  it('rejects a line that is not JSON, or not an object with a string type, with a ValidationError', () => {
    expect(() => parseChatStreamLine('{"type":')).toThrowError(
      expect.objectContaining({ name: 'ValidationError', code: 'validation', message: 'parseChatStreamLine: not valid JSON: "{\\"type\\":"; each line must be one JSON object.' }),
    )
    for (const bad of ['[]', '"text"', 'null', '{"type":3}', '{"data":{}}']) {
      expect(() => parseChatStreamLine(bad)).toThrowError(expect.objectContaining({ code: 'validation', message: expect.stringContaining('expected an object with a string "type"') }))
    }
  })

  it('never throws anything but a ValidationError on arbitrary input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        try {
          await collect([new TextEncoder().encode(text)])
        } catch (err) {
          expect(err).toMatchObject({ name: 'ValidationError', code: 'validation' })
        }
      }),
      { numRuns: 300 },
    )
  })

  it('cancels the body when the consumer stops early', async () => {
    let cancelled: unknown = 'no'
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(new TextEncoder().encode('{"type":"tick"}\n'))
      },
      cancel(reason) {
        cancelled = reason
      },
    })
    for await (const e of readChatStream(body)) {
      expect(e).toEqual({ type: 'tick' })
      break
    }
    expect(cancelled).toBeUndefined()
  })

  it('encodes events that JSON cannot hold as a ValidationError', () => {
    expect(() => encodeChatStreamLine({ type: 'n', data: 1n })).toThrowError(
      expect.objectContaining({ code: 'validation', message: 'encodeChatStreamLine: event of type "n" is not JSON-serialisable (Do not know how to serialize a BigInt); events must be plain JSON.' }),
    )
  })
})
