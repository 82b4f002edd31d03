/**
 * Structural shapes of the gates the surface adapters go through. They match
 * `createKbGate` (`/mcp`) and the `/improvement` promotion gate, so the real
 * ones plug in unchanged; they are declared here to keep this package free of
 * sibling imports.
 */

/** A fact proposed for the knowledge base (the shape `createKbGate` judges). @experimental */
export interface FactCandidate {
  claim: string
  value?: string | number
  verbatimPassage: string
  sourceText: string
  citation?: string
}

/** A KB gate's verdict. @experimental */
export interface KbGateVerdict {
  accepted: boolean
  vetoedBy?: string
  reason?: string
}

/** A KB gate: `createKbGate({...})` from `/mcp` has this type. @experimental */
export type KbGate = (candidate: FactCandidate) => Promise<KbGateVerdict>

/** A prompt edit offered to the improvement gate. @experimental */
export interface PromptPromotionRequest {
  /** Repository-relative path of the prompt file. */
  file: string
  baselinePrompt: string
  candidatePrompt: string
  /** Unified diff of the edit. */
  diff: string
  rationale: string
  sourceFindingId: string
}

/** The improvement gate's decision: only `ship` lands an edit. @experimental */
export interface PromotionDecision {
  decision: 'ship' | 'hold'
  reasons: string[]
  delta?: number
}

/** The improvement gate (e.g. a wrapper over `optimizePrompt`'s held-out gate or `improvementDriver`). @experimental */
export type PromotePrompt = (request: PromptPromotionRequest) => Promise<PromotionDecision>
