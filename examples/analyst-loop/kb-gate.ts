/**
 * The knowledge gate this example passes to the knowledge surface. It has the
 * type of `createKbGate` from `@tangle-network/agent-runtime/mcp` and runs its
 * first two floor checks: the passage is long enough, and it appears verbatim
 * in the source the agent's tools returned. Swap in `createKbGate()` as is.
 */
import type { FactCandidate, KbGate } from '@tangle-network/agent-runtime/analyst-loop'

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim()

export const kbGate: KbGate = async (c: FactCandidate) => {
  if (c.verbatimPassage.trim().length < 12) return { accepted: false, vetoedBy: 'passage-non-empty', reason: 'verbatim passage too short' }
  if (!norm(c.sourceText).includes(norm(c.verbatimPassage))) return { accepted: false, vetoedBy: 'passage-present', reason: 'verbatim passage not found in source (unbacked fact)' }
  return { accepted: true }
}
