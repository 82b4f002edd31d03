import type { DefaultVerdict, Driver, Iteration, PlanDescription } from '../../../contracts/loop.js'
import { ValidationError } from '../../../errors.js'
import { describeValue } from '../../../util/describe-value.js'

/** Decisions of the refine driver. @experimental */
export type RefineDecision = 'continue' | 'stop'

/** Options of {@link createRefineDriver}. @experimental */
export interface RefineDriverOptions<Task, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> {
  /** Iterations before the driver stops on its own. Default 5. */
  maxIterations?: number
  /** Builds the next task from the prior one and its verdict; without it the prior task is retried. */
  refineTask?: (prior: Task, verdict: Verdict, iteration: Iteration<Task, Output, Verdict>) => Task | Promise<Task>
  /** Default `refine`. */
  name?: string
}

/**
 * A one-candidate-at-a-time driver: run the task, and while the last iteration
 * is not valid, run it again (refined by `refineTask` when there is a verdict).
 * Stops after a valid iteration or `maxIterations`.
 * @experimental
 * @example
 * const driver = createRefineDriver<string>({
 *   maxIterations: 3,
 *   refineTask: (task, verdict) => `${task}\n\nReviewer notes: ${verdict.notes ?? ''}`,
 * })
 */
export function createRefineDriver<Task, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict>(
  options: RefineDriverOptions<Task, Output, Verdict> = {},
): Driver<Task, Output, RefineDecision, Verdict> {
  const maxIterations = options.maxIterations ?? 5
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new ValidationError(`createRefineDriver: maxIterations must be a positive integer, got ${describeValue(maxIterations)}`)
  }
  if (options.refineTask !== undefined && typeof options.refineTask !== 'function') {
    throw new ValidationError('createRefineDriver: refineTask must be a function (prior, verdict) => task')
  }
  let described: PlanDescription | undefined
  return {
    name: options.name ?? 'refine',
    async plan(task, history) {
      if (history.length >= maxIterations) {
        described = { kind: 'stop', rationale: `maxIterations (${maxIterations}) reached` }
        return []
      }
      if (history.length === 0) {
        described = { kind: 'refine', rationale: 'initial attempt' }
        return [task]
      }
      const prior = history[history.length - 1]
      if (prior.verdict?.valid === true) {
        described = { kind: 'stop', rationale: `iteration ${prior.index} is valid`, parentIndex: prior.index }
        return []
      }
      if (!options.refineTask || !prior.verdict) {
        described = { kind: 'refine', rationale: `retry iteration ${prior.index}`, parentIndex: prior.index }
        return [prior.task]
      }
      const next = await options.refineTask(prior.task, prior.verdict, prior)
      described = { kind: 'refine', rationale: `refine iteration ${prior.index} from its verdict`, parentIndex: prior.index }
      return [next]
    },
    decide(history) {
      const last = history[history.length - 1]
      return last?.verdict?.valid === true || history.length >= maxIterations ? 'stop' : 'continue'
    },
    describePlan: () => described,
  }
}
