// The KB gate as users import it from `/mcp` (seed 000 §6), and as the research runner applies it.
import { researchLoopRunner } from '@tangle-network/agent-runtime'
import { createKbGate, type FactCandidate } from '@tangle-network/agent-runtime/mcp'
import { describe, expect, it } from 'vitest'

const rawSource = 'ACME 10-K. In fiscal 2025, total revenue was $1,200,000,000 for the fiscal year, a record.'

describe('createKbGate from /mcp', () => {
  it('accepts the seed example and vetoes its laundered and unbacked variants', async () => {
    const gate = createKbGate({ selfArtifactKinds: ['spec', 'cad_params'] })
    const fact: FactCandidate = {
      claim: 'revenue was $1.2B in 2025',
      value: 1_200_000_000,
      verbatimPassage: 'total revenue was $1,200,000,000 for the fiscal year',
      sourceText: rawSource,
    }
    expect(await gate(fact)).toEqual({ accepted: true })
    expect(await gate({ ...fact, citation: '[cad_params.v2]' })).toMatchObject({ accepted: false, vetoedBy: 'no-circular-citation' })
    expect(await gate({ ...fact, value: 1_300_000_000 })).toMatchObject({ accepted: false, vetoedBy: 'value-in-passage' })
    expect(await gate({ ...fact, sourceText: 'ACME 10-K. Revenue figures are pending.' })).toMatchObject({ accepted: false, vetoedBy: 'passage-present' })
  })

  it('gates a research loop given the seed options shape', async () => {
    const backed: FactCandidate = { claim: 'record revenue', verbatimPassage: 'total revenue was $1,200,000,000', sourceText: rawSource }
    const invented: FactCandidate = { claim: 'record profit', verbatimPassage: 'net profit was $400,000,000', sourceText: rawSource }
    const out = await researchLoopRunner({ research: () => [backed, invented], gate: { selfArtifactKinds: ['spec'] }, maxRounds: 1 })(new AbortController().signal)
    expect(out.accepted).toEqual([backed])
    expect(out.vetoed).toEqual([{ candidate: invented, vetoedBy: 'passage-present', reason: 'verbatim passage not found in source (unbacked fact)' }])
  })
})
