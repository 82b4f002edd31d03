import { ValidationError } from '../errors.js'
import { createKbGate, type KbGate, type KbGateOptions, isKbGate } from '../knowledge/kb-gate.js'
import type { DelegatedLoopRunner } from './run-delegated-loop.js'

/** A gate's verdict on one research candidate. @experimental */
export interface ResearchGateVerdict {
  accepted: boolean
  /** Which check refused it (for example `'passage-present'`). */
  vetoedBy?: string
  reason?: string
}

/** A refused candidate and why. @experimental */
export interface VetoedCandidate<T> {
  candidate: T
  vetoedBy?: string
  reason?: string
}

/** A research gate function: checks one candidate. @experimental */
export type ResearchGate<T> = (candidate: T) => Promise<ResearchGateVerdict> | ResearchGateVerdict

/** Options of {@link researchLoopRunner}. @experimental */
export interface ResearchLoopRunnerOptions<T> {
  /** Produces this round's candidates; `vetoed` holds last round's refusals (empty on round 1). */
  research(round: number, vetoed: VetoedCandidate<T>[], signal: AbortSignal): Promise<T[]> | T[]
  /**
   * How candidates are checked. Absent or {@link KbGateOptions}: the KB gate
   * (`createKbGate(options)`), so every candidate must be a grounded
   * `FactCandidate`. A function: your gate, run after the KB floor for any
   * candidate shaped like a fact (one with `verbatimPassage` or `sourceText`),
   * so an unbacked fact is never accepted; a gate made by `createKbGate` is used as is.
   */
  gate?: KbGateOptions | ResearchGate<T>
  /** Rounds at most (default 1). */
  maxRounds?: number
}

/** What a research loop produced. @experimental */
export interface ResearchLoopOutput<T> {
  accepted: T[]
  /** Refusals of the final round only. */
  vetoed: VetoedCandidate<T>[]
  rounds: number
}

/**
 * A delegated research loop: each round researches candidates, gates every
 * one, and retries with the refusals as feedback until nothing is vetoed, a
 * round finds nothing, the signal aborts, or `maxRounds` is reached. The KB
 * gate applies by default, so a fact whose passage is not in its source is
 * never accepted; the final round's refusals are returned, never dropped.
 * @experimental
 * @example
 * const registry = { research: researchLoopRunner({ research: (round, vetoed) => findFacts(topic, vetoed), gate: { selfArtifactKinds: ['spec'] }, maxRounds: 3 }) }
 */
export function researchLoopRunner<T>(options: ResearchLoopRunnerOptions<T>): DelegatedLoopRunner<ResearchLoopOutput<T>> {
  const maxRounds = options.maxRounds ?? 1
  if (!Number.isInteger(maxRounds) || maxRounds < 1) {
    throw new ValidationError(`researchLoopRunner: maxRounds must be a positive integer; received ${String(maxRounds)}.`)
  }
  const gate = resolveResearchGate<T>(options.gate)
  return async (signal) => {
    const accepted: T[] = []
    let vetoed: VetoedCandidate<T>[] = []
    let rounds = 0
    while (rounds < maxRounds) {
      if (signal.aborted) break
      const candidates = await options.research(rounds + 1, vetoed, signal)
      rounds++
      if (candidates.length === 0) {
        vetoed = []
        break
      }
      const refused: VetoedCandidate<T>[] = []
      for (const candidate of candidates) {
        const verdict = await gate(candidate)
        if (verdict.accepted) accepted.push(candidate)
        else refused.push({ candidate, ...(verdict.vetoedBy ? { vetoedBy: verdict.vetoedBy } : {}), ...(verdict.reason ? { reason: verdict.reason } : {}) })
      }
      vetoed = refused
      if (refused.length === 0) break
    }
    return { accepted, vetoed, rounds }
  }
}

/** Candidates with a passage or a source claim to be facts, and must pass the KB floor whatever gate is given. */
function looksLikeFact(candidate: unknown): boolean {
  return candidate !== null && typeof candidate === 'object' && ('verbatimPassage' in candidate || 'sourceText' in candidate)
}

function resolveResearchGate<T>(gate: ResearchLoopRunnerOptions<T>['gate']): ResearchGate<T> {
  if (gate === undefined || (gate !== null && typeof gate === 'object')) {
    const kb = createKbGate(gate ?? {})
    return (candidate) => kb(candidate as never)
  }
  if (typeof gate !== 'function') {
    throw new ValidationError(`researchLoopRunner: gate must be KB-gate options {judges?, minPassageChars?, selfArtifactKinds?} or a function (candidate) => verdict, got ${String(gate)}`)
  }
  if (isKbGate(gate)) return (candidate) => (gate as KbGate)(candidate as never)
  const floor = createKbGate()
  return async (candidate) => {
    if (looksLikeFact(candidate)) {
      const verdict = await floor(candidate as never)
      if (!verdict.accepted) return verdict
    }
    return gate(candidate)
  }
}
