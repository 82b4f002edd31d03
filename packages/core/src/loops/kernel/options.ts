import type {
  AgentRunSpec,
  DefaultVerdict,
  Driver,
  Iteration,
  LoopExecCtx,
  OutputAdapter,
  Validator,
} from '../../contracts/loop.js'
import { ValidationError } from '../../errors.js'
import type { Clock } from '../../util/clock.js'
import type { BudgetBreaker } from '../../loop-ops/breaker.js'
import { type LoopBudget, validateLoopBudget } from '../../loop-ops/budget.js'
import { describeValue } from '../../util/describe-value.js'

/** Default cap on the number of iterations of one loop. @experimental */
export const DEFAULT_LOOP_MAX_ITERATIONS = 10
/** Default number of iterations a loop runs at the same time. @experimental */
export const DEFAULT_LOOP_MAX_CONCURRENCY = 4

/**
 * Picks the winner among a loop's iterations; `undefined` means no winner.
 * @experimental
 */
export type SelectWinner<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> = (
  iterations: readonly Iteration<Task, Output, Verdict>[],
) => Iteration<Task, Output, Verdict> | undefined | Promise<Iteration<Task, Output, Verdict> | undefined>

/** Options of {@link runLoop}. Pass exactly one of `agentRun` and `agentRuns`. @experimental */
export interface RunLoopOptions<Task = unknown, Output = unknown, Decision = string, Verdict extends DefaultVerdict = DefaultVerdict> {
  /** The topology: what to run each round and when to stop. */
  driver: Driver<Task, Output, Decision, Verdict>
  /** The single harness every iteration runs on. */
  agentRun?: AgentRunSpec<Task>
  /** Several harnesses; iteration `i` runs on `agentRuns[i % agentRuns.length]`. */
  agentRuns?: readonly AgentRunSpec<Task>[]
  /** Turns an iteration's events into its output. */
  output: OutputAdapter<Output>
  /** Scores each output (runs while the iteration's box is still alive). */
  validator: Validator<Output, Verdict>
  /** The root task handed to the driver. */
  task: Task
  /** Where iterations run, where traces go, and the abort signal. */
  ctx: LoopExecCtx
  /** Hard cap on iterations across all rounds. Default 10. */
  maxIterations?: number
  /** Iterations of one round running at once. Default 4. */
  maxConcurrency?: number
  /** Default `loop-<8 base36 chars>`. */
  runId?: string
  /** Overrides the default winner rule (valid first, highest score, lowest index). */
  selectWinner?: SelectWinner<Task, Output, Verdict>
  /** Clock for timestamps and durations (epoch ms). Default the system clock. */
  now?: Clock
  /**
   * Hard caps. The kernel dispatches no iteration the remainder cannot cover
   * (judged by the most expensive iteration so far); crossing a cap aborts the
   * iterations in flight (every box deleted). Either way the run ends with
   * decision `budget-exceeded` and `result.budget` says what was spent.
   */
  budget?: LoopBudget
  /**
   * A budget breaker shared across runs (see `createBudgetBreaker`): before
   * each iteration is dispatched it `reserve()`s the scope's peak iteration
   * against the day's cap (kill-switch first; a breaker without `reserve`
   * gets `guard()`), every usage event is recorded into that reservation, and
   * the iteration's end settles it. When it
   * says no, in-flight iterations are aborted and the run ends with
   * decision `budget-exceeded` (`result.budget.limit` `daily-cap` or `kill-switch`).
   */
  breaker?: Pick<BudgetBreaker, 'guard' | 'record'> & Partial<Pick<BudgetBreaker, 'reserve'>>
}

const isFn = (v: unknown): boolean => typeof v === 'function'

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ValidationError(`runLoop: ${name} must be a positive integer, got ${describeValue(value)}`)
  }
  return value
}

/** The options after validation, with defaults applied. */
export interface ResolvedRunLoopOptions<Task> {
  agentRuns: readonly AgentRunSpec<Task>[]
  agentRunNames: string[]
  maxIterations: number
  maxConcurrency: number
}

/**
 * Checks {@link RunLoopOptions} and applies defaults. Throws {@link ValidationError}
 * naming the bad option and what to pass instead.
 */
export function resolveRunLoopOptions<Task>(opts: RunLoopOptions<Task, any, any, any>): ResolvedRunLoopOptions<Task> {
  if (!opts || typeof opts !== 'object') throw new ValidationError('runLoop: options object is required')
  const { agentRun, agentRuns } = opts
  if (agentRun !== undefined && agentRuns !== undefined) {
    throw new ValidationError('runLoop: pass exactly one of `agentRun` and `agentRuns`, not both')
  }
  if (agentRuns !== undefined && (!Array.isArray(agentRuns) || agentRuns.length === 0)) {
    throw new ValidationError('runLoop: `agentRuns` is required to be a non-empty array; pass at least one AgentRunSpec or use `agentRun`')
  }
  if (agentRun === undefined && agentRuns === undefined) {
    throw new ValidationError('runLoop: `agentRun` or `agentRuns` is required')
  }
  const runs: readonly AgentRunSpec<Task>[] = agentRuns ?? [agentRun as AgentRunSpec<Task>]
  runs.forEach((spec, i) => {
    const where = agentRuns ? `agentRuns[${i}]` : 'agentRun'
    if (!spec || typeof spec !== 'object') throw new ValidationError(`runLoop: ${where} must be an AgentRunSpec object, got ${String(spec)}`)
    if (!spec.profile || typeof spec.profile !== 'object') throw new ValidationError(`runLoop: ${where}.profile is required (an agent profile object)`)
    if (!isFn(spec.taskToPrompt)) throw new ValidationError(`runLoop: ${where}.taskToPrompt must be a function (task) => prompt`)
  })
  const driver = opts.driver
  if (!driver || !isFn(driver.plan) || !isFn(driver.decide)) {
    throw new ValidationError('runLoop: `driver` with plan() and decide() is required (e.g. createRefineDriver())')
  }
  if (!opts.output || !isFn(opts.output.parse)) throw new ValidationError('runLoop: `output` with a parse(events) function is required')
  if (!opts.validator || !isFn(opts.validator.validate)) {
    throw new ValidationError('runLoop: `validator` with a validate(output, ctx) function is required')
  }
  if (!opts.ctx?.sandboxClient || !isFn(opts.ctx.sandboxClient.create)) {
    throw new ValidationError('runLoop: ctx.sandboxClient.create is required (pass a SandboxClient or an executor)')
  }
  if (opts.runId !== undefined && (typeof opts.runId !== 'string' || opts.runId.length === 0)) {
    throw new ValidationError(`runLoop: runId must be a non-empty string, got ${JSON.stringify(opts.runId)}`)
  }
  if (opts.selectWinner !== undefined && !isFn(opts.selectWinner)) throw new ValidationError('runLoop: selectWinner must be a function')
  if (opts.now !== undefined && !isFn(opts.now)) throw new ValidationError('runLoop: now must be a clock function returning epoch ms')
  validateLoopBudget(opts.budget, 'runLoop')
  if (opts.breaker !== undefined && (!opts.breaker || !isFn(opts.breaker.guard) || !isFn(opts.breaker.record) || (opts.breaker.reserve !== undefined && !isFn(opts.breaker.reserve)))) {
    throw new ValidationError('runLoop: breaker must have guard() and record(usage) (pass createBudgetBreaker({...}))')
  }
  const maxIterations = positiveInt('maxIterations', opts.maxIterations, DEFAULT_LOOP_MAX_ITERATIONS)
  const maxConcurrency = positiveInt('maxConcurrency', opts.maxConcurrency, DEFAULT_LOOP_MAX_CONCURRENCY)
  const agentRunNames = runs.map((spec, i) => agentRunName(spec, i, runs.length))
  return { agentRuns: runs, agentRunNames, maxIterations, maxConcurrency }
}

/** The trace name of a harness: its `name`, else its profile's name, else `agent-run[-i]`. */
function agentRunName(spec: AgentRunSpec<any>, index: number, count: number): string {
  if (typeof spec.name === 'string' && spec.name) return spec.name
  if (typeof spec.profile.name === 'string' && spec.profile.name) return spec.profile.name
  return count === 1 ? 'agent-run' : `agent-run-${index}`
}
