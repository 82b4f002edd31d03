import type { DefaultVerdict, Iteration } from '../../contracts/loop.js'

/**
 * The default winner rule of {@link runLoop}: among iterations with an output
 * and no error, prefer valid ones (else consider all of them), then the highest
 * score, then the lowest index. `undefined` when no iteration produced output.
 * @experimental
 * @example
 * const best = defaultSelectWinner(result.iterations)
 */
export function defaultSelectWinner<Task, Output, Verdict extends DefaultVerdict>(
  iterations: readonly Iteration<Task, Output, Verdict>[],
): Iteration<Task, Output, Verdict> | undefined {
  const candidates = iterations.filter((it) => it.output !== undefined && it.error === undefined)
  const valid = candidates.filter((it) => it.verdict?.valid === true)
  return bestByScore(valid.length > 0 ? valid : candidates)
}

/**
 * The best valid iteration (output, no error, `verdict.valid`), highest score
 * then lowest index; `undefined` when none is valid. The fan-out-vote default selector.
 * @experimental
 * @example
 * const pick = selectBestValid(history)
 */
export function selectBestValid<Task, Output, Verdict extends DefaultVerdict>(
  iterations: readonly Iteration<Task, Output, Verdict>[],
): Iteration<Task, Output, Verdict> | undefined {
  return bestByScore(iterations.filter((it) => it.output !== undefined && it.error === undefined && it.verdict?.valid === true))
}

function scoreOf(it: Iteration<unknown, unknown, DefaultVerdict>): number {
  const s = it.verdict?.score
  return typeof s === 'number' && Number.isFinite(s) ? s : Number.NEGATIVE_INFINITY
}

function bestByScore<I extends Iteration<any, any, any>>(pool: readonly I[]): I | undefined {
  let best: I | undefined
  for (const it of pool) {
    if (!best || scoreOf(it) > scoreOf(best) || (scoreOf(it) === scoreOf(best) && it.index < best.index)) best = it
  }
  return best
}

/**
 * The branch point of a new round when the driver declares no parent: the
 * highest-score valid iteration (earliest on a tie), else the latest iteration.
 * @experimental
 * @example
 * const parent = inferBranchPoint(history) // index or undefined for an empty history
 */
export function inferBranchPoint(history: readonly Iteration<any, any, any>[]): number | undefined {
  if (history.length === 0) return undefined
  const valid = bestByScore(history.filter((it) => it.verdict?.valid === true && it.error === undefined))
  return valid ? valid.index : history[history.length - 1].index
}
