/**
 * A deliberately small, offline research engine over a local corpus. Round 1
 * plays a model drafting facts from memory and notes: some are quoted from a
 * source, one is invented, one cites the agent's own earlier draft, one has
 * the wrong number. Later rounds re-research each vetoed fact in the corpus
 * (never in the agent's own artifacts) and resubmit what they find, or the
 * same fact when nothing backs it, so it is escalated instead of dropped.
 */
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type { FactCandidate, VetoedCandidate } from '@tangle-network/agent-runtime'

/** Documents by path relative to the corpus folder. */
export type Corpus = Map<string, string>

/** Reads every `.md` file under `dir` (recursively). */
export async function loadCorpus(dir: string): Promise<Corpus> {
  const corpus: Corpus = new Map()
  for (const entry of (await readdir(dir, { recursive: true })).sort()) {
    if (entry.endsWith('.md')) corpus.set(entry.split(path.sep).join('/'), await readFile(path.join(dir, entry), 'utf8'))
  }
  return corpus
}

/** A drafted fact: the claim, the quote meant to back it, and the document it cites. */
interface Draft {
  claim: string
  value?: number
  quote: string
  doc: string
  /** Word to look for when the fact has to be re-researched. */
  topic: string
}

const FIRST_DRAFTS: Draft[] = [
  { claim: 'Rust 1.0 was released in 2015', value: 2015, quote: 'Rust 1.0 was released on May 15, 2015', doc: 'rust-1.0.md', topic: 'released' },
  { claim: 'crates.io hosts more than 140k crates', value: 140_000, quote: 'crates.io hosted more than 140,000 crates', doc: 'crates-io.md', topic: 'crates published' },
  { claim: 'Rust 1.0 shipped async/await', quote: 'Rust 1.0 shipped with async/await support', doc: 'rust-1.0.md', topic: 'async' },
  { claim: 'Rust 1.0 shipped async/await', quote: 'Rust 1.0 shipped with async/await support', doc: 'notes/spec.v1.md', topic: 'async' },
  { claim: 'crates.io downloads passed 60 billion in 2023', value: 60_000_000_000, quote: 'Downloads from the registry passed 50 billion in 2023', doc: 'crates-io.md', topic: 'downloads' },
]

/** Topic of each fact, so a vetoed fact can be looked up again. */
const topics = new WeakMap<FactCandidate, string>()

function toFact(corpus: Corpus, draft: Draft): FactCandidate {
  const fact: FactCandidate = { claim: draft.claim, verbatimPassage: draft.quote, sourceText: corpus.get(draft.doc) ?? '', citation: draft.doc }
  if (draft.value !== undefined) fact.value = draft.value
  topics.set(fact, draft.topic)
  return fact
}

/** Sentences of a document, whitespace collapsed. */
function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=\.)\s+/)
    .map((s) => s.replace(/\.$/, '').trim())
    .filter(Boolean)
}

const SCALE: Record<string, number> = { billion: 1e9, million: 1e6 }

/** The first "N billion" / "N million" / plain number of a sentence. */
function numberIn(sentence: string): number | undefined {
  const m = /(\d[\d,]*(?:\.\d+)?)\s*(billion|million)?/i.exec(sentence)
  if (!m) return undefined
  return Number(m[1].replace(/,/g, '')) * (m[2] ? SCALE[m[2].toLowerCase()] : 1)
}

/** Outcome of re-researching one vetoed fact, for the printout. */
export interface Retry {
  claim: string
  vetoedBy?: string
  outcome: string
}

/**
 * The engine behind `researchLoopRunner({ research })`: drafts on round 1,
 * re-research of every vetoed fact afterwards. `selfArtifacts` are corpus
 * paths the agent wrote itself; they are never used as evidence.
 */
export function createResearcher(corpus: Corpus, selfArtifacts: (doc: string) => boolean, onRetry: (retries: Retry[]) => void) {
  return (round: number, vetoed: VetoedCandidate<FactCandidate>[]): FactCandidate[] => {
    if (round === 1) return FIRST_DRAFTS.map((d) => toFact(corpus, d))
    const retries: Retry[] = []
    const next = vetoed.map(({ candidate, vetoedBy }) => {
      const topic = topics.get(candidate) ?? ''
      for (const [doc, text] of corpus) {
        if (selfArtifacts(doc)) continue
        const found = sentences(text).find((s) => s.toLowerCase().includes(topic.toLowerCase()))
        if (!found) continue
        const value = candidate.value === undefined ? undefined : numberIn(found)
        const claim = value !== undefined && value !== candidate.value ? candidate.claim.replace(/\d+ billion/, `${value / 1e9} billion`) : candidate.claim
        retries.push({ claim: candidate.claim, vetoedBy, outcome: `re-quoted from ${doc}${claim !== candidate.claim ? `, corrected to "${claim}"` : ''}` })
        return toFact(corpus, { claim, value, quote: found, doc, topic })
      }
      retries.push({ claim: candidate.claim, vetoedBy, outcome: 'no original source found; resubmitted as is' })
      return candidate
    })
    onRetry(retries)
    return next
  }
}
