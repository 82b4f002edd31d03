/**
 * A research loop that only lets grounded facts through: `researchLoopRunner`
 * (mode `research` of `runDelegatedLoop`) with the KB gate, offline over the
 * small corpus in `corpus/`. An invented fact, a fact citing the agent's own
 * draft and a fact with the wrong number are vetoed; the loop re-researches
 * them, accepts the one the corpus can back, and escalates the rest.
 *
 *   pnpm --filter @examples/researcher-loop start
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type FactCandidate, type ResearchLoopOutput, researchLoopRunner, runDelegatedLoop } from '@tangle-network/agent-runtime'
import { createResearcher, loadCorpus, type Retry } from './researcher.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const print = (line = ''): void => {
  process.stdout.write(`${line}\n`)
}
const SELF_ARTIFACT_KINDS = ['spec']

async function main(): Promise<number> {
  const corpus = await loadCorpus(path.join(here, 'corpus'))
  const isSelfArtifact = (doc: string) => SELF_ARTIFACT_KINDS.some((kind) => doc.toLowerCase().includes(kind))
  print(`corpus: ${[...corpus.keys()].join(', ')} (${[...corpus.keys()].filter(isSelfArtifact).join(', ')} is this agent's own earlier draft)`)
  print(`gate: the KB floor (passage in its source, value in the passage, no citation of a self-made ${SELF_ARTIFACT_KINDS.map((k) => `'${k}'`).join(', ')} artifact)`)
  print()

  let round = 0
  const researcher = createResearcher(corpus, isSelfArtifact, (retries: Retry[]) => {
    print(`round ${round}: re-researching ${retries.length} vetoed fact(s)`)
    for (const r of retries) print(`  "${r.claim}" (vetoed by ${r.vetoedBy}) → ${r.outcome}`)
  })
  const registry = {
    research: researchLoopRunner<FactCandidate>({
      research: (n, vetoed) => {
        round = n
        const facts = researcher(n, vetoed)
        if (n === 1) print(`round 1: ${facts.length} candidate facts drafted`)
        return facts
      },
      // The seed's options shape: createKbGate({ selfArtifactKinds }) is applied to every candidate.
      gate: { selfArtifactKinds: SELF_ARTIFACT_KINDS },
      maxRounds: 2,
    }),
  }
  const result = await runDelegatedLoop<ResearchLoopOutput<FactCandidate>>('research', registry)
  if (!result.ok || !result.output) {
    print(`research failed: ${result.error}`)
    return 1
  }
  const { accepted, vetoed, rounds } = result.output
  print()
  print(`accepted (${accepted.length}):`)
  for (const f of accepted) print(`  ✓ ${f.claim}  [${f.citation}] "${f.verbatimPassage}"`)
  print(`unverified after ${rounds} rounds, escalated (${vetoed.length}):`)
  for (const v of vetoed) print(`  ✗ ${v.candidate.claim}  [${v.candidate.citation}] vetoed by ${v.vetoedBy}: ${v.reason}`)
  print()

  const vetoedBy = vetoed.map((v) => v.vetoedBy).sort()
  const expected =
    accepted.map((f) => f.claim).join('|') ===
      'Rust 1.0 was released in 2015|crates.io hosts more than 140k crates|crates.io downloads passed 50 billion in 2023' &&
    vetoedBy.join('|') === 'no-circular-citation|passage-present'
  print(expected ? 'outcome: as expected (the backed facts accepted, the invented and laundered ones vetoed and escalated)' : 'outcome: UNEXPECTED')
  return expected ? 0 : 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`researcher-loop failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  },
)
