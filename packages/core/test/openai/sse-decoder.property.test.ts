// Decoder-level properties of createSseDecoder: multi-line events with mixed
// line endings (LF, CRLF, lone CR) and multi-byte text, cut anywhere — also
// between the CR and LF of one CRLF, and inside a UTF-8 character — decode to
// exactly the events that were written.
import { createSseDecoder, parseSseStream, type SseMessage } from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

type Eol = '\n' | '\r\n' | '\r'
interface Frame {
  event?: string
  id?: string
  data: string[]
}

// Field values never hold a line break; they do hold multi-byte characters.
const value = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', '{', '"', 'é', '€', '🌍', '中'), maxLength: 12 })
const frame: fc.Arbitrary<Frame> = fc.record(
  { event: fc.option(value.filter((v) => v.length > 0), { nil: undefined }), id: fc.option(value, { nil: undefined }), data: fc.array(value, { minLength: 1, maxLength: 4 }) },
  { requiredKeys: ['data'] },
)
const eol = fc.constantFrom<Eol>('\n', '\r\n', '\r')

/** Serialises frames, each line with its own line ending; a CR never precedes an empty LF line, which would read as one CRLF. */
function serialise(frames: Frame[], eols: Eol[]): string {
  let out = ''
  let n = 0
  let previous: Eol | undefined
  const line = (text: string) => {
    let end = eols[n++ % eols.length]
    if (previous === '\r' && text === '' && end === '\n') end = '\r\n'
    out += text + end
    previous = end
  }
  for (const f of frames) {
    if (f.event !== undefined) line(`event: ${f.event}`)
    if (f.id !== undefined) line(`id: ${f.id}`)
    for (const d of f.data) line(`data: ${d}`)
    line('')
  }
  return out
}

function expected(frames: Frame[]): SseMessage[] {
  return frames.map((f) => {
    const m: SseMessage = { data: f.data.join('\n') }
    if (f.event !== undefined) m.event = f.event
    if (f.id !== undefined) m.id = f.id
    return m
  })
}

function decode(bytes: Uint8Array, cuts: number[]): SseMessage[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const d = createSseDecoder()
  const out: SseMessage[] = []
  let start = 0
  for (const p of [...points, bytes.length]) {
    out.push(...d.push(bytes.subarray(start, p)))
    start = p
  }
  out.push(...d.end())
  return out
}

describe('createSseDecoder properties', () => {
  it('any frames with mixed line endings, cut anywhere, decode to the frames written', () => {
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }), fc.array(eol, { minLength: 1, maxLength: 7 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, eols, cuts) => {
        const bytes = new TextEncoder().encode(serialise(frames, eols))
        expect(decode(bytes, cuts)).toEqual(expected(frames))
      }),
      { numRuns: 500 },
    )
  })

  it('a CRLF cut between its CR and its LF ends one line, not two', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), (frames) => {
        const text = serialise(frames, ['\r\n'])
        const bytes = new TextEncoder().encode(text)
        // Cut after every CR, so each LF opens the next chunk.
        const cuts: number[] = []
        for (let i = 0; i < bytes.length; i++) if (bytes[i] === 13) cuts.push(i + 1)
        expect(decode(bytes, cuts)).toEqual(expected(frames))
      }),
      { numRuns: 300 },
    )
  })

  it('string chunks and a ReadableStream source decode like bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { maxLength: 6 }), fc.array(eol, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 20 }), async (frames, eols, cuts) => {
        const text = serialise(frames, eols)
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b)
        const pieces: string[] = []
        let start = 0
        for (const p of [...points, text.length]) {
          pieces.push(text.slice(start, p))
          start = p
        }
        const fromStrings: SseMessage[] = []
        for await (const m of parseSseStream(pieces)) fromStrings.push(m)
        expect(fromStrings).toEqual(expected(frames))
        const bytes = new TextEncoder().encode(text)
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 7) controller.enqueue(bytes.subarray(i, i + 7))
            controller.close()
          },
        })
        const fromStream: SseMessage[] = []
        for await (const m of parseSseStream(stream)) fromStream.push(m)
        expect(fromStream).toEqual(expected(frames))
      }),
      { numRuns: 150 },
    )
  })
})
