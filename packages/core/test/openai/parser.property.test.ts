import { BackendTransportError, type BackendStreamEvent, createSseDecoder, parseChatCompletionStream } from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { anthropicToolUseStream, openaiChunk, openaiReasoningStream, openaiSse, openaiTextStream, openaiToolCallStream } from './fixtures.js'

const EVENT_TYPES = new Set(['text_delta', 'reasoning_delta', 'tool_call', 'llm_call'])

type Outcome = { events: BackendStreamEvent[] } | { error: string; status?: number }

/** Parses `bytes` delivered in pieces cut at `cuts`; errors other than BackendTransportError propagate (and fail the property). */
async function parse(bytes: Uint8Array, cuts: number[], maxMessageChars?: number): Promise<Outcome> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Uint8Array[] = []
  let start = 0
  for (const p of [...points, bytes.length]) {
    pieces.push(bytes.subarray(start, p))
    start = p
  }
  const events: BackendStreamEvent[] = []
  try {
    for await (const ev of parseChatCompletionStream(pieces, { model: 'm', maxMessageChars })) events.push(ev)
  } catch (err) {
    if (!(err instanceof BackendTransportError)) throw err
    expect(err).toMatchObject({ code: 'config', kind: 'transport' })
    return { error: err.message, status: err.status }
  }
  for (const ev of events) {
    expect(EVENT_TYPES.has(ev.type)).toBe(true)
    if (ev.type === 'text_delta' || ev.type === 'reasoning_delta') expect(typeof ev.text).toBe('string')
    if (ev.type === 'tool_call') expect(typeof ev.toolName).toBe('string')
  }
  return { events }
}

const enc = (s: string) => new TextEncoder().encode(s)

const validStreams: [string, string][] = [
  ['openai text', openaiTextStream(['Hello', ', ', 'wörld 🌍', '!'])],
  ['openai text CRLF', openaiTextStream(['a', 'b'], [3, 4], { eol: '\r\n' })],
  [
    'parallel tool calls',
    openaiToolCallStream(
      [
        { id: 'c1', name: 'f', argFragments: ['{"x"', ':1}'] },
        { id: 'c2', name: 'g', argFragments: ['{"y":"é', '"}'] },
      ],
      { interleave: true },
    ),
  ],
  ['anthropic tool_use', anthropicToolUseStream()],
  ['reasoning', openaiReasoningStream()],
  ['ndjson', '{"message":{"content":"Hi"}}\n{"message":{"content":"!"},"done":true,"prompt_eval_count":2,"eval_count":1}\n'],
  ['lone CR line ends', openaiSse([openaiChunk({ content: 'cr' })], { eol: '\r' })],
]

const cutsArb = fc.array(fc.nat({ max: 100_000 }), { maxLength: 40 })

describe('chat stream parser properties', () => {
  for (const [name, stream] of validStreams) {
    it(`${name}: any cut gives the same events as the whole stream`, async () => {
      const bytes = enc(stream)
      const whole = await parse(bytes, [])
      expect('events' in whole && whole.events.length).toBeGreaterThan(0)
      await fc.assert(
        fc.asyncProperty(cutsArb, async (cuts) => {
          expect(await parse(bytes, cuts)).toEqual(whole)
        }),
        { numRuns: 150 },
      )
    })
  }

  it('one-byte pieces give the same events as the whole stream', async () => {
    for (const [, stream] of validStreams) {
      const bytes = enc(stream)
      expect(await parse(bytes, Array.from({ length: bytes.length }, (_, i) => i))).toEqual(await parse(bytes, []))
    }
  })

  it('random bytes yield only events or a BackendTransportError, the same for any cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), cutsArb, fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }), async (bytes, cuts, max) => {
        expect(await parse(bytes, cuts, max)).toEqual(await parse(bytes, [], max))
      }),
      { numRuns: 300 },
    )
  })

  const token = fc.oneof(
    fc.constantFrom('data: ', 'data:', 'event: message_start', 'id: 7', 'retry: 10', ': c', '\n', '\r\n', '\r', '\n\n', '[DONE]', '{', '}', '"', ':', ','),
    fc.constantFrom('{"choices":[{"delta":{"content":"x"}}]}', '{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]}'),
    fc.constantFrom('{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"1"}}', '{"type":"content_block_stop","index":0}'),
    fc.constantFrom('{"error":{"message":"x"}}', '{"usage":{"prompt_tokens":1}}', '{"choices":[null]}', '{"choices":[{"finish_reason":"stop"}]}'),
    fc.string({ maxLength: 8 }),
  )

  it('SSE-shaped token soup never throws anything else and is cut-invariant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 60 }), cutsArb, async (tokens, cuts) => {
        const bytes = enc(tokens.join(''))
        expect(await parse(bytes, cuts)).toEqual(await parse(bytes, []))
      }),
      { numRuns: 300 },
    )
  })

  it('arbitrary JSON in every chunk position is handled', async () => {
    const chunk = fc.oneof(
      fc.record({ choices: fc.array(fc.record({ delta: fc.jsonValue(), finish_reason: fc.jsonValue(), message: fc.jsonValue() }, { requiredKeys: [] }), { maxLength: 2 }) }),
      fc.record({ type: fc.constantFrom('message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta'), index: fc.jsonValue(), delta: fc.jsonValue(), content_block: fc.jsonValue(), message: fc.jsonValue(), usage: fc.jsonValue() }, { requiredKeys: ['type'] }),
      fc.jsonValue(),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(chunk, { maxLength: 12 }), async (chunks) => {
        await parse(enc(openaiSse(chunks)), [])
      }),
      { numRuns: 300 },
    )
  })
})

describe('createSseDecoder', () => {
  it('dispatches multi-line data, event names and ids; drops comments and retry', () => {
    const d = createSseDecoder()
    expect(d.push('event: ping\nid: 4\nretry: 100\n: comment\ndata: a\ndata:b\n\n')).toEqual([{ event: 'ping', id: '4', data: 'a\nb' }])
    expect(d.push('data: tail')).toEqual([])
    expect(d.end()).toEqual([{ data: 'tail' }])
  })

  it('throws BackendTransportError for a line longer than maxMessageChars', () => {
    const d = createSseDecoder({ maxMessageChars: 10, backend: 'test' })
    let caught: any
    try {
      d.push('data: 0123456789abcdef')
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(BackendTransportError)
    expect(caught.backend).toBe('test')
    expect(caught.message).toMatch(/stream line exceeds the 10-character limit/)
  })
})
