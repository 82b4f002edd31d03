import { ValidationError } from '../errors.js'
import type { DelegatedLoopRunner } from './run-delegated-loop.js'
import { describeValue } from '../util/describe-value.js'

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

/** Options of {@link researchLoopRunner}. @experimental */
export interface ResearchLoopRunnerOptions<T> {
  /** Produces this round's candidates; `vetoed` holds last round's refusals (empty on round 1). */
  research(round: number, vetoed: VetoedCandidate<T>[], signal: AbortSignal): Promise<T[]> | T[]
  /** Checks each candidate; without a gate every candidate is accepted. */
  gate?(candidate: T): Promise<ResearchGateVerdict> | ResearchGateVerdict
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
 * round finds nothing, the signal aborts, or `maxRounds` is reached.
 * @experimental
 * @example
 * const registry = { research: researchLoopRunner({ research: (round, vetoed) => search(topic, vetoed), gate: checkCitation, maxRounds: 3 }) }
 */
export function researchLoopRunner<T>(options: ResearchLoopRunnerOptions<T>): DelegatedLoopRunner<ResearchLoopOutput<T>> {
  const maxRounds = options.maxRounds ?? 1
  if (!Number.isInteger(maxRounds) || maxRounds < 1) {
    throw new ValidationError(`researchLoopRunner: maxRounds must be a positive integer; received ${describeValue(maxRounds)}.`)
  }
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
        const verdict = options.gate ? await options.gate(candidate) : { accepted: true }
        if (verdict.accepted) accepted.push(candidate)
        else refused.push({ candidate, ...(verdict.vetoedBy ? { vetoedBy: verdict.vetoedBy } : {}), ...(verdict.reason ? { reason: verdict.reason } : {}) })
      }
      vetoed = refused
      if (refused.length === 0) break
    }
    return { accepted, vetoed, rounds }
  }
}
