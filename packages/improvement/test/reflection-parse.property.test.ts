// Reflection output is untrusted model text: whatever it says, gepaDriver must
// not throw, and a valid proposals object must be found inside prose or fences.
import { createMemoryCampaignStorage, gepaDriver, type ParetoParent, type ProposedCandidate, runCampaign } from '@tangle-network/agent-runtime/improvement'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { qualityJudge, scenarios } from './helpers.js'

let baseline: ParetoParent<string>
beforeAll(async () => {
  const campaign = await runCampaign({ surface: 'Base prompt.', scenarios: scenarios('s', 2), judges: [qualityJudge], run: () => ({ quality: 0.3 }), storage: createMemoryCampaignStorage() })
  baseline = { surface: 'Base prompt.', surfaceHash: campaign.surfaceHash, label: 'baseline', objectives: campaign.scenarioMeans, composite: campaign.composite, generation: -1, campaign }
})

async function proposeWith(text: string) {
  const driver = gepaDriver({ llm: createScriptedBackend({ turns: () => [{ type: 'text_delta', text }] }) })
  const out = await driver.propose({
    generation: 0,
    populationSize: 3,
    baseline,
    incumbent: baseline,
    paretoParents: [baseline],
    seenHashes: new Set([baseline.surfaceHash]),
    rng: () => 0.5,
    signal: new AbortController().signal,
    recordUsage: () => {},
  })
  // gepaDriver always returns labelled candidates, never bare surfaces.
  return { out: out as ProposedCandidate<string>[], rejected: driver.lastRejected!() }
}

describe('gepaDriver on arbitrary reflection output', () => {
  it('never throws on any text, and reports text with no JSON object as a rejected reflection', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }).map((s) => `{${s}}`)), async (text) => {
        const { out, rejected } = await proposeWith(text)
        for (const c of out) expect(typeof c.surface).toBe('string')
        if (!text.includes('{')) {
          expect(out).toEqual([])
          expect(rejected).toEqual([{ label: '(reflection output)', reason: expect.stringMatching(/^reflection output has no JSON object/) }])
        }
      }),
      { numRuns: 150, seed: 42 },
    )
  })

  it('finds a proposals object inside arbitrary prose around a fenced block', async () => {
    const prose = fc.string({ maxLength: 80 }).filter((s) => !s.includes('`'))
    const payload = fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim().length > 0 && s !== 'Base prompt.')
    await fc.assert(
      fc.asyncProperty(prose, prose, payload, async (before, after, text) => {
        const json = JSON.stringify({ proposals: [{ label: 'p', rationale: 'r', payload: text }] })
        const { out } = await proposeWith(`${before}\n\`\`\`json\n${json}\n\`\`\`\n${after}`)
        expect(out.map((c) => c.surface)).toEqual([text])
      }),
      { numRuns: 150, seed: 7 },
    )
  })
})
