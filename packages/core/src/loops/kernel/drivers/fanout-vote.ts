import type { DefaultVerdict, Driver, Iteration, PlanDescription } from '../../../contracts/loop.js'
import { ValidationError } from '../../../errors.js'
import { describeValue } from '../../../util/describe-value.js'
import { selectBestValid } from '../winner.js'

/** Decisions of the fan-out-vote driver. @experimental */
export type FanoutVoteDecision = 'pick-winner' | 'fail'

/** Picks the voted winner of a fan-out; `undefined` means none qualifies. @experimental */
export type FanoutSelector<Task, Output, Verdict extends DefaultVerdict> = (
  history: readonly Iteration<Task, Output, Verdict>[],
) => Iteration<Task, Output, Verdict> | undefined

/** Options of {@link createFanoutVoteDriver}. @experimental */
export interface FanoutVoteDriverOptions<Task, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> {
  /** Number of candidates, ≥ 1. */
  n: number
  /** Default: the best valid score among iterations with output and no error, ties to the lowest index. */
  selector?: FanoutSelector<Task, Output, Verdict>
  /** Default `fanout-vote`. */
  name?: string
}

/** The fan-out-vote driver; `selectWinner` is its vote, which `runLoop` applies unless the caller passes its own. @experimental */
export type FanoutVoteDriver<Task, Output, Verdict extends DefaultVerdict> = Driver<Task, Output, FanoutVoteDecision, Verdict> & {
  selectWinner: FanoutSelector<Task, Output, Verdict>
}

/**
 * Runs `n` copies of the task in one round and votes: `pick-winner` when the
 * selector finds a candidate, else `fail`. The loop's winner is the voted
 * candidate, so an invalid attempt never wins.
 * @experimental
 * @example
 * const driver = createFanoutVoteDriver<string>({ n: 3 })
 * const result = await runLoop({ driver, ...rest })
 */
export function createFanoutVoteDriver<Task, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict>(
  options: FanoutVoteDriverOptions<Task, Output, Verdict>,
): FanoutVoteDriver<Task, Output, Verdict> {
  const n = options?.n
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new ValidationError(`n must be >= 1, got ${describeValue(n)}`)
  }
  if (options.selector !== undefined && typeof options.selector !== 'function') {
    throw new ValidationError('createFanoutVoteDriver: selector must be a function (history) => iteration | undefined')
  }
  const selector: FanoutSelector<Task, Output, Verdict> = options.selector ?? selectBestValid
  let described: PlanDescription | undefined
  return {
    name: options.name ?? 'fanout-vote',
    plan(task, history) {
      if (history.length > 0) {
        described = { kind: 'stop', rationale: 'votes are in' }
        return []
      }
      described = { kind: 'fanout', rationale: `${n} independent candidate(s), then vote`, exact: true }
      return Array.from({ length: n }, () => task)
    },
    decide(history) {
      return selector(history) ? 'pick-winner' : 'fail'
    },
    describePlan: () => described,
    selectWinner: selector,
  }
}
