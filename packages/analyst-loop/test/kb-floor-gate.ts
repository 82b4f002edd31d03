/**
 * Test helper: a stand-in for `createKbGate` (`/mcp`, issue 11) with the same
 * type and the first two floor checks (passage-non-empty, passage-present),
 * text normalised the same way. The knowledge surface takes any `KbGate`.
 */
import type { FactCandidate, KbGate } from '@tangle-network/agent-runtime/analyst-loop'

const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim()

export function floorKbGate(minPassageChars = 12): KbGate {
  return async (c: FactCandidate) => {
    if (c.verbatimPassage.trim().length < minPassageChars) return { accepted: false, vetoedBy: 'passage-non-empty', reason: 'verbatim passage too short' }
    if (!norm(c.sourceText).includes(norm(c.verbatimPassage))) return { accepted: false, vetoedBy: 'passage-present', reason: 'verbatim passage not found in source (unbacked fact)' }
    return { accepted: true }
  }
}
