import { createKbGate, type FactCandidate, isKbGate, normalizeKbText, ValidationError } from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const SOURCE = `ACME Corp annual report.
Total   revenue was $1,200,000,000 for the fiscal year 2025,
up from 950 million dollars. Headcount reached 12,500 people.
The board approved a dividend of 0.42 per share.`

function fact(extra: Partial<FactCandidate> = {}): FactCandidate {
  return {
    claim: 'revenue was $1.2B in 2025',
    verbatimPassage: 'total revenue was $1,200,000,000 for the fiscal year',
    sourceText: SOURCE,
    ...extra,
  }
}

describe('createKbGate floor', () => {
  it('accepts a fact whose passage is in the source (case and whitespace normalised)', async () => {
    const gate = createKbGate()
    expect(await gate(fact({ verbatimPassage: 'TOTAL REVENUE WAS $1,200,000,000\n  FOR THE FISCAL YEAR 2025' }))).toEqual({ accepted: true })
    expect(normalizeKbText('  Total\n\t Revenue ')).toBe('total revenue')
  })

  it('vetoes a passage shorter than minPassageChars (trimmed), and honours a lower floor', async () => {
    const gate = createKbGate()
    expect(await gate(fact({ verbatimPassage: '   up from   ' }))).toEqual({
      accepted: false,
      vetoedBy: 'passage-non-empty',
      reason: 'verbatim passage has 7 characters; at least 12 are required',
    })
    expect(await gate(fact({ verbatimPassage: '' }))).toMatchObject({ accepted: false, vetoedBy: 'passage-non-empty' })
    expect(await createKbGate({ minPassageChars: 5 })(fact({ verbatimPassage: 'up from' }))).toEqual({ accepted: true })
  })

  it('vetoes an unbacked fact: a passage that is not in the source', async () => {
    const verdict = await createKbGate()(fact({ verbatimPassage: 'total revenue was $2,000,000,000 for the fiscal year' }))
    expect(verdict).toEqual({ accepted: false, vetoedBy: 'passage-present', reason: 'verbatim passage not found in source (unbacked fact)' })
  })

  it('finds a numeric value in its comma form, its plain form and its "X billion" / "X million" forms', async () => {
    const gate = createKbGate()
    // The seed example: 1_200_000_000 written "$1,200,000,000".
    expect(await gate(fact({ value: 1_200_000_000 }))).toEqual({ accepted: true })
    expect(await gate(fact({ value: 12_500, verbatimPassage: 'headcount reached 12,500 people' }))).toEqual({ accepted: true })
    expect(await gate(fact({ value: 950_000_000, verbatimPassage: 'up from 950 million dollars' }))).toEqual({ accepted: true })
    expect(await gate(fact({ value: 0.42, verbatimPassage: 'a dividend of 0.42 per share' }))).toEqual({ accepted: true })
    // Float noise from arithmetic (0.1 + 0.2 = 0.30000000000000004) is not part of the value.
    const noisy = 'The payout ratio was 0.3 of earnings.'
    expect(await gate(fact({ value: 0.1 + 0.2, verbatimPassage: 'payout ratio was 0.3 of earnings', sourceText: noisy }))).toEqual({ accepted: true })
    const billion = 'Revenue: 3.3 billion dollars in total.'
    expect(await gate(fact({ value: 3_300_000_000, verbatimPassage: 'revenue: 3.3 billion dollars', sourceText: billion }))).toEqual({ accepted: true })
    const plain = 'The plant made 7000000 units.'
    expect(await gate(fact({ value: 7_000_000, verbatimPassage: 'the plant made 7000000 units', sourceText: plain }))).toEqual({ accepted: true })
  })

  it('vetoes a value missing from the passage, including one only glued into a longer number', async () => {
    const gate = createKbGate()
    const wrong = await gate(fact({ value: 1_300_000_000 }))
    expect(wrong).toMatchObject({ accepted: false, vetoedBy: 'value-in-passage' })
    expect(wrong.reason).toBe('value 1300000000 not found in the verbatim passage (looked for: "1300000000", "1,300,000,000", "1.3 billion")')
    // 12 is not "in" 12,500, and 0.4 is not "in" 0.42.
    expect(await gate(fact({ value: 12, verbatimPassage: 'headcount reached 12,500 people' }))).toMatchObject({ vetoedBy: 'value-in-passage' })
    expect(await gate(fact({ value: 0.4, verbatimPassage: 'a dividend of 0.42 per share' }))).toMatchObject({ vetoedBy: 'value-in-passage' })
    // A string value is matched normalised.
    expect(await gate(fact({ value: 'FISCAL  year' }))).toEqual({ accepted: true })
    expect(await gate(fact({ value: 'calendar year' }))).toMatchObject({ vetoedBy: 'value-in-passage' })
  })

  it('vetoes a circular citation ([cad_params.v2] laundering) only when self-artifact kinds are set', async () => {
    const gate = createKbGate({ selfArtifactKinds: ['spec', 'cad_params'] })
    const laundered = await gate(fact({ citation: '[cad_params.v2]' }))
    expect(laundered).toEqual({
      accepted: false,
      vetoedBy: 'no-circular-citation',
      reason: 'citation "[cad_params.v2]" points at a self-generated artifact (kind "cad_params"); cite the original source',
    })
    expect(await gate(fact({ citation: 'artifacts/SPEC-7.md' }))).toMatchObject({ vetoedBy: 'no-circular-citation' })
    expect(await gate(fact({ citation: 'https://acme.example/annual-report-2025.pdf' }))).toEqual({ accepted: true })
    expect(await createKbGate()(fact({ citation: '[cad_params.v2]' }))).toEqual({ accepted: true })
  })

  it('runs the floor checks in order: the first failing one is reported', async () => {
    const gate = createKbGate({ selfArtifactKinds: ['spec'] })
    // Every check would fail; the passage length is checked first.
    expect(await gate(fact({ verbatimPassage: 'short', value: 5, citation: 'spec' }))).toMatchObject({ vetoedBy: 'passage-non-empty' })
    expect(await gate(fact({ verbatimPassage: 'a passage not in the source', value: 5, citation: 'spec' }))).toMatchObject({ vetoedBy: 'passage-present' })
    expect(await gate(fact({ value: 5, citation: 'spec' }))).toMatchObject({ vetoedBy: 'value-in-passage' })
  })

  it('vetoes anything that is not a fact instead of throwing', async () => {
    const gate = createKbGate()
    expect(await gate(null as never)).toMatchObject({ accepted: false, vetoedBy: 'fact-shape' })
    expect(await gate({ claim: 'x', verbatimPassage: 'total revenue was' } as never)).toEqual({
      accepted: false,
      vetoedBy: 'fact-shape',
      reason: 'fact.sourceText must be a string, got nothing',
    })
    expect(await gate(fact({ value: Number.NaN }))).toMatchObject({ vetoedBy: 'fact-shape' })
  })
})

describe('createKbGate judges', () => {
  it('runs judges after the floor, in order; the first veto wins', async () => {
    const calls: string[] = []
    const judge = (name: string, accept: boolean) => ({
      name,
      judge: async (c: FactCandidate) => {
        calls.push(`${name}:${c.claim}`)
        return accept ? { accept } : { accept, reason: `${name} says no` }
      },
    })
    const gate = createKbGate({ judges: [judge('fresh', true), judge('on-topic', false), judge('never-reached', false)] })
    expect(await gate(fact())).toEqual({ accepted: false, vetoedBy: 'on-topic', reason: 'on-topic says no' })
    expect(calls).toEqual(['fresh:revenue was $1.2B in 2025', 'on-topic:revenue was $1.2B in 2025'])
    // A floor veto means no judge is consulted.
    calls.length = 0
    expect(await gate(fact({ verbatimPassage: 'nothing like the source text' }))).toMatchObject({ vetoedBy: 'passage-present' })
    expect(calls).toEqual([])
  })

  it('accepts when every judge accepts, and a veto without a reason still names the judge', async () => {
    const yes = { name: 'yes', judge: () => ({ accept: true }) }
    expect(await createKbGate({ judges: [yes] })(fact())).toEqual({ accepted: true })
    const no = { name: 'strict', judge: () => ({ accept: false }) }
    expect(await createKbGate({ judges: [yes, no] })(fact())).toEqual({ accepted: false, vetoedBy: 'strict', reason: 'vetoed by judge strict' })
  })

  it('turns a throwing or malformed judge into a veto naming it, never a crash', async () => {
    const boom = {
      name: 'llm-judge',
      judge: () => {
        throw new Error('rate limited')
      },
    }
    const after = { name: 'after', judge: () => ({ accept: true }) }
    expect(await createKbGate({ judges: [boom, after] })(fact())).toEqual({ accepted: false, vetoedBy: 'llm-judge', reason: 'judge llm-judge threw: rate limited' })
    const rejecting = { name: 'async-judge', judge: () => Promise.reject(new Error('timeout')) }
    expect(await createKbGate({ judges: [rejecting] })(fact())).toMatchObject({ vetoedBy: 'async-judge', reason: 'judge async-judge threw: timeout' })
    const malformed = { name: 'sloppy', judge: () => 'yes' as never }
    expect(await createKbGate({ judges: [malformed] })(fact())).toMatchObject({ accepted: false, vetoedBy: 'sloppy' })
  })

  it('rejects bad options with a ValidationError naming the field', () => {
    expect(() => createKbGate({ minPassageChars: -1 })).toThrow(ValidationError)
    expect(() => createKbGate({ minPassageChars: 1.5 })).toThrow(/minPassageChars must be an integer >= 0, got 1.5/)
    expect(() => createKbGate({ judges: [{ name: '', judge: () => ({ accept: true }) }] })).toThrow(/judges\[0\]/)
    expect(() => createKbGate({ selfArtifactKinds: ['spec', ''] })).toThrow(/selfArtifactKinds/)
    expect(isKbGate(createKbGate())).toBe(true)
    expect(isKbGate(async () => ({ accepted: true }))).toBe(false)
  })
})

describe('createKbGate value matching (properties)', () => {
  const gate = createKbGate()
  const source = (passage: string) => `Report. ${passage}. End.`

  it('finds any integer in its plain or comma form, and never inside a longer number', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 999_999_999_999 }), fc.boolean(), fc.integer({ min: 0, max: 9 }), async (n, commas, digit) => {
        const written = commas ? n.toLocaleString('en-US') : String(n)
        const passage = `the measured total was ${written} units`
        expect(await gate(fact({ value: n, verbatimPassage: passage, sourceText: source(passage) }))).toEqual({ accepted: true })
        // The same number with one more digit is a different number.
        const longer = `the measured total was ${written}${digit} units`
        expect(await gate(fact({ value: n, verbatimPassage: longer, sourceText: source(longer) }))).toMatchObject({ vetoedBy: 'value-in-passage' })
      }),
      { numRuns: 200 },
    )
  })

  // The scaled forms apply from one unit up (≥ 1e9 for billion, ≥ 1e6 for million), as in the reference.
  it('finds "X billion" and "X million" for values written that way', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 10, max: 9999 }), fc.constantFrom(['billion', 1e9], ['million', 1e6]), async (tenths, [word, scale]) => {
        const x = tenths / 10
        const passage = `revenue reached ${x} ${word} this year`
        const value = Math.round(tenths * (scale as number)) / 10
        expect(await gate(fact({ value, verbatimPassage: passage, sourceText: source(passage) }))).toEqual({ accepted: true })
      }),
      { numRuns: 200 },
    )
  })
})
