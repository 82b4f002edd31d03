import { PlannerError } from '@tangle-network/agent-runtime-core'
import { envelopeToMove, extractTopologyEnvelope, parseEnvelopeText, parseTopologyMove } from '@tangle-network/agent-runtime-core/loops'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const envelopeArb = fc.record(
  {
    kind: fc.constantFrom('refine', 'fanout', 'stop', 'select'),
    rationale: fc.string(),
    n: fc.integer({ min: 1, max: 8 }),
    tasks: fc.array(fc.oneof(fc.string(), fc.record({ goal: fc.string() })), { maxLength: 3 }),
  },
  { requiredKeys: ['kind'] },
)

describe('parseEnvelopeText', () => {
  it('never throws, and returns only objects with a string kind', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const env = parseEnvelopeText(text)
        expect(env === undefined || typeof env.kind === 'string').toBe(true)
      }),
      { numRuns: 400 },
    )
  })

  it('finds an envelope fenced anywhere in prose, the last one winning', () => {
    fc.assert(
      fc.property(fc.string(), envelopeArb, fc.string(), envelopeArb, (before, first, between, last) => {
        const prose = (s: string) => s.replaceAll('`', "'")
        const text = `${prose(before)}\n\`\`\`json\n${JSON.stringify(first)}\n\`\`\`\n${prose(between)}\n\`\`\`\n${JSON.stringify(last, null, 2)}\n\`\`\`\ntrailing`
        expect(parseEnvelopeText(text)).toEqual(last)
      }),
      { numRuns: 200 },
    )
  })

  it('accepts a bare JSON reply and ignores non-json fences and non-envelopes', () => {
    expect(parseEnvelopeText(' {"kind":"stop"} ')).toEqual({ kind: 'stop' })
    expect(parseEnvelopeText('```ts\n{"kind":"stop"}\n```')).toBeUndefined()
    expect(parseEnvelopeText('```json\n[1,2]\n```')).toBeUndefined()
    expect(parseEnvelopeText('```json\n{"kind": 3}\n```')).toBeUndefined()
    expect(parseEnvelopeText('')).toBeUndefined()
  })
})

describe('extractTopologyEnvelope', () => {
  it('prefers the last result event over earlier text', () => {
    const env = extractTopologyEnvelope([
      { type: 'text_delta', data: { text: '```json\n{"kind":"refine"}\n```' } },
      { type: 'result', data: { result: { kind: 'stop' } } },
      { type: 'result', data: { result: '```json\n{"kind":"fanout","n":2}\n```' } },
    ])
    expect(env).toEqual({ kind: 'fanout', n: 2 })
  })

  it('falls back to text, deltas and content, and never throws on odd events', () => {
    expect(extractTopologyEnvelope([{ type: 'message', data: { content: 'ok\n```json\n{"kind":"stop"}\n```' } }])).toEqual({ kind: 'stop' })
    expect(extractTopologyEnvelope([{ type: 'result', data: { finalText: '```json\n{"kind":"stop"}\n```' } }])).toEqual({ kind: 'stop' })
    fc.assert(
      fc.property(fc.array(fc.record({ type: fc.constantFrom('result', 'final', 'text_delta', 'message', 'x'), data: fc.dictionary(fc.string(), fc.jsonValue()) })), (events) => {
        const env = extractTopologyEnvelope(events)
        expect(env === undefined || typeof env.kind === 'string').toBe(true)
      }),
    )
  })
})

describe('envelopeToMove and parseTopologyMove', () => {
  it('maps every envelope kind', () => {
    const opts = { rootTask: 'root', decodeTask: (raw: unknown) => String(raw) }
    expect(envelopeToMove({ kind: 'refine', tasks: ['x'], parentIndex: 1 }, opts)).toEqual({ kind: 'refine', task: 'x', parentIndex: 1 })
    expect(envelopeToMove({ kind: 'fanout', tasks: [1, 2] }, opts)).toEqual({ kind: 'fanout', tasks: ['1', '2'] })
    expect(envelopeToMove({ kind: 'select', index: 2, rationale: 'r' }, opts)).toEqual({ kind: 'select', index: 2, rationale: 'r' })
    expect(envelopeToMove({ kind: 'stop', tasks: ['ignored'] }, opts)).toEqual({ kind: 'stop' })
    expect(() => envelopeToMove(undefined, opts)).toThrow(PlannerError)
    expect(() => envelopeToMove({ kind: 'fanout', n: 1.5 }, opts)).toThrow(/n=1.5/)
  })

  it('rejects malformed moves with PlannerError for any junk input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        try {
          const move = parseTopologyMove(raw)
          expect(['refine', 'fanout', 'stop', 'select']).toContain(move.kind)
        } catch (err) {
          expect(err).toBeInstanceOf(PlannerError)
        }
      }),
      { numRuns: 300 },
    )
  })
})
