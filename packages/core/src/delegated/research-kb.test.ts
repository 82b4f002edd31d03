import { createKbGate, type FactCandidate, researchLoopRunner, type VetoedCandidate } from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

const SOURCE = 'The Rust 1.0 release shipped on May 15, 2015. Cargo was bundled from the start.'

const backed: FactCandidate = {
  claim: 'Rust 1.0 shipped in May 2015',
  value: 2015,
  verbatimPassage: 'The Rust 1.0 release shipped on May 15, 2015',
  sourceText: SOURCE,
  citation: 'https://blog.rust-lang.org/2015/05/15/Rust-1.0.html',
}
const unbacked: FactCandidate = {
  claim: 'Rust 1.0 shipped with async/await',
  verbatimPassage: 'Rust 1.0 shipped with async/await support',
  sourceText: SOURCE,
}
const grounded: FactCandidate = {
  claim: 'Cargo was bundled with Rust 1.0',
  verbatimPassage: 'Cargo was bundled from the start',
  sourceText: SOURCE,
}
const never = new AbortController().signal

describe('researchLoopRunner with the KB gate', () => {
  it('single round, no gate given: the KB floor accepts the backed fact and vetoes the unbacked one', async () => {
    const out = await researchLoopRunner({ research: () => [backed, unbacked] })(never)
    expect(out.rounds).toBe(1)
    expect(out.accepted).toEqual([backed])
    expect(out.vetoed).toEqual([{ candidate: unbacked, vetoedBy: 'passage-present', reason: 'verbatim passage not found in source (unbacked fact)' }])
  })

  it('two rounds: the vetoed gap is researched again and the grounded replacement accepted', async () => {
    const seen: VetoedCandidate<FactCandidate>[][] = []
    const run = researchLoopRunner<FactCandidate>({
      research: (round, vetoed) => {
        seen.push(vetoed)
        return round === 1 ? [backed, unbacked] : [grounded]
      },
      gate: { selfArtifactKinds: ['spec'] },
      maxRounds: 3,
    })
    const out = await run(never)
    expect(out).toEqual({ accepted: [backed, grounded], vetoed: [], rounds: 2 })
    expect(seen[0]).toEqual([])
    expect(seen[1]).toEqual([{ candidate: unbacked, vetoedBy: 'passage-present', reason: 'verbatim passage not found in source (unbacked fact)' }])
  })

  it('returns the still-unverified facts after maxRounds instead of dropping them', async () => {
    const out = await researchLoopRunner({ research: () => [unbacked], maxRounds: 2 })(never)
    expect(out).toMatchObject({ accepted: [], rounds: 2, vetoed: [{ candidate: unbacked, vetoedBy: 'passage-present' }] })
  })

  it('applies gate options: a circular citation is vetoed', async () => {
    const laundered = { ...backed, citation: '[spec.v3]' }
    const out = await researchLoopRunner({ research: () => [laundered], gate: { selfArtifactKinds: ['spec'] } })(never)
    expect(out.vetoed).toEqual([expect.objectContaining({ vetoedBy: 'no-circular-citation' })])
  })

  it('a gate function cannot let an unbacked fact through: the floor runs first', async () => {
    const permissive = () => ({ accepted: true })
    const out = await researchLoopRunner({ research: () => [backed, unbacked], gate: permissive })(never)
    expect(out.accepted).toEqual([backed])
    expect(out.vetoed).toEqual([expect.objectContaining({ candidate: unbacked, vetoedBy: 'passage-present' })])
    // The function still decides on facts that pass the floor.
    const strict = (c: FactCandidate) => (c.citation ? { accepted: true } : { accepted: false, vetoedBy: 'needs-citation' })
    const second = await researchLoopRunner({ research: () => [backed, grounded], gate: strict })(never)
    expect(second.accepted).toEqual([backed])
    expect(second.vetoed).toEqual([{ candidate: grounded, vetoedBy: 'needs-citation' }])
  })

  it('uses a createKbGate gate as given, without stacking the default floor on it', async () => {
    const short: FactCandidate = { claim: 'Cargo', verbatimPassage: 'Cargo was', sourceText: SOURCE }
    const lenient = createKbGate({ minPassageChars: 5 })
    expect((await researchLoopRunner({ research: () => [short], gate: lenient })(never)).accepted).toEqual([short])
    expect((await researchLoopRunner({ research: () => [short] })(never)).vetoed[0]?.vetoedBy).toBe('passage-non-empty')
  })

  it('rejects a gate that is neither options nor a function', () => {
    expect(() => researchLoopRunner({ research: () => [], gate: 'strict' as never })).toThrow(/gate must be KB-gate options/)
  })
})
