/**
 * Winner selection of the coder delegate: only mechanically valid candidates
 * qualify; with a reviewer only the approved ones; then the strategy ranks
 * them, ties going to the lowest iteration index.
 */
import type { Iteration } from '@tangle-network/agent-runtime-core/loops'
import type { CoderOutput, CoderTask, CoderVerdict } from '@tangle-network/agent-runtime-core/profiles'
import { createAbortError, errorMessage } from '@tangle-network/agent-runtime-core'
import { z } from 'zod'

/** What a reviewer recommends for a candidate. @experimental */
export type CoderReviewRecommendation = 'ship' | 'approve-with-nits' | 'changes-requested' | 'reject'

/** A reviewer's verdict on one candidate patch. @experimental */
export interface CoderReview {
  approved: boolean
  recommendation: CoderReviewRecommendation
  /** How ready the change is to merge, 0..1. */
  readiness: number
  notes?: string
}

/** What a reviewer is told besides the candidate. @experimental */
export interface CoderReviewContext {
  /** Index of the candidate's iteration in the loop. */
  iterationIndex: number
  /** Aborted when the delegation is cancelled. */
  signal?: AbortSignal
}

/**
 * Reviews one mechanically valid candidate (the checker after the checks).
 * Its answer is validated; an invalid answer or a throw rejects the candidate.
 * @experimental
 */
export type CoderReviewer = (output: CoderOutput, task: CoderTask, ctx: CoderReviewContext) => CoderReview | Promise<CoderReview>

/** The winner strategies of the coder delegate. @experimental */
export const CODER_WINNER_SELECTIONS = ['highest-score', 'smallest-diff', 'highest-readiness', 'first-approved'] as const

/** One of {@link CODER_WINNER_SELECTIONS}. @experimental */
export type CoderWinnerSelection = (typeof CODER_WINNER_SELECTIONS)[number]

/** Why a candidate did not win the right to be chosen. @experimental */
export interface RejectedCoderCandidate {
  iterationIndex: number
  agentRunName: string
  reason: string
}

/** zod schema of a {@link CoderReview}, applied to every reviewer answer (it may come from a model). @experimental */
export const coderReviewSchema = z.object({
  approved: z.boolean(),
  recommendation: z.enum(['ship', 'approve-with-nits', 'changes-requested', 'reject']),
  readiness: z.number().min(0).max(1),
  notes: z.string().optional(),
})

type CoderIteration = Iteration<CoderTask, CoderOutput, CoderVerdict>

/** The outcome of a selection: the winner (if any), its review, and every candidate turned down. @experimental */
export interface CoderSelection {
  winner?: CoderIteration
  review?: CoderReview
  reviews: Map<number, CoderReview>
  rejected: RejectedCoderCandidate[]
}

/** Approval needs both the flag and a shipping recommendation: a contradictory review fails closed. */
function approves(review: CoderReview): boolean {
  return review.approved && (review.recommendation === 'ship' || review.recommendation === 'approve-with-nits')
}

function mechanicalRejection(it: CoderIteration): string | undefined {
  if (it.error !== undefined) return `failed: ${it.error}`
  if (it.output === undefined) return 'produced no output'
  if (it.verdict?.valid !== true) return `invalid: ${it.verdict?.notes ?? 'no verdict'}`
  return undefined
}

async function review(
  reviewer: CoderReviewer,
  it: CoderIteration,
  signal: AbortSignal | undefined,
): Promise<{ review?: CoderReview; problem?: string }> {
  let answer: unknown
  try {
    answer = await reviewer(it.output as CoderOutput, it.task, { iterationIndex: it.index, ...(signal ? { signal } : {}) })
  } catch (err) {
    if (signal?.aborted) throw createAbortError('aborted', signal.reason)
    return { problem: `reviewer threw: ${errorMessage(err)}` }
  }
  const parsed = coderReviewSchema.safeParse(answer)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { problem: `reviewer returned an invalid review (${issue?.path.join('.') || 'review'}: ${issue?.message ?? 'invalid'})` }
  }
  return { review: parsed.data }
}

const diffLinesOf = (it: CoderIteration): number =>
  it.verdict?.diffLines ?? (it.output ? it.output.diffStats.insertions + it.output.diffStats.deletions : Number.POSITIVE_INFINITY)
const scoreOf = (it: CoderIteration): number => (Number.isFinite(it.verdict?.score) ? (it.verdict?.score as number) : Number.NEGATIVE_INFINITY)

/** The best of `pool` by `key` (larger is better); ties keep the lowest index. */
function bestBy(pool: readonly CoderIteration[], key: (it: CoderIteration) => number): CoderIteration | undefined {
  let best: CoderIteration | undefined
  for (const it of pool) {
    if (!best || key(it) > key(best) || (key(it) === key(best) && it.index < best.index)) best = it
  }
  return best
}

/**
 * Picks the winner among a coder loop's iterations with `strategy`, consulting
 * the reviewer on mechanically valid candidates (all of them, except for
 * `first-approved`, which stops at the first approval in index order).
 * @experimental
 * @example
 * const { winner, rejected } = await selectCoderWinner(result.iterations, { strategy: 'smallest-diff' })
 */
export async function selectCoderWinner(
  iterations: readonly CoderIteration[],
  options: { strategy: CoderWinnerSelection; reviewer?: CoderReviewer; signal?: AbortSignal },
): Promise<CoderSelection> {
  const { strategy, reviewer, signal } = options
  const rejected: RejectedCoderCandidate[] = []
  const reviews = new Map<number, CoderReview>()
  const reject = (it: CoderIteration, reason: string) => rejected.push({ iterationIndex: it.index, agentRunName: it.agentRunName, reason })
  const valid: CoderIteration[] = []
  for (const it of [...iterations].sort((a, b) => a.index - b.index)) {
    const problem = mechanicalRejection(it)
    if (problem) reject(it, problem)
    else valid.push(it)
  }

  let pool = valid
  if (reviewer) {
    pool = []
    const consider = (it: CoderIteration, outcome: { review?: CoderReview; problem?: string }): boolean => {
      if (outcome.review) reviews.set(it.index, outcome.review)
      if (outcome.review && approves(outcome.review)) {
        pool.push(it)
        return true
      }
      const r = outcome.review
      reject(it, outcome.problem ?? `not approved by review (${r?.recommendation}${r?.notes ? `: ${r.notes}` : ''})`)
      return false
    }
    if (strategy === 'first-approved') {
      for (const it of valid) {
        if (signal?.aborted) throw createAbortError('aborted', signal.reason)
        if (consider(it, await review(reviewer, it, signal))) break
      }
    } else {
      const outcomes = await Promise.all(valid.map((it) => review(reviewer, it, signal)))
      for (const [i, it] of valid.entries()) consider(it, outcomes[i])
    }
    if (signal?.aborted) throw createAbortError('aborted', signal.reason)
  }

  let winner: CoderIteration | undefined
  if (strategy === 'highest-score') winner = bestBy(pool, scoreOf)
  else if (strategy === 'smallest-diff') winner = bestBy(pool, (it) => -diffLinesOf(it))
  else if (strategy === 'highest-readiness') winner = bestBy(pool, (it) => reviews.get(it.index)?.readiness ?? scoreOf(it))
  else winner = pool[0]
  rejected.sort((a, b) => a.iterationIndex - b.iterationIndex)
  return { winner, ...(winner && reviews.has(winner.index) ? { review: reviews.get(winner.index) } : {}), reviews, rejected }
}
