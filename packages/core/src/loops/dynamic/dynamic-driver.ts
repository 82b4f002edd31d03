import type { DefaultVerdict, Driver, Iteration, PlanDescription } from '../../contracts/loop.js'
import { AgentRuntimeError, PlannerError, ValidationError, errorMessage, isAbortError } from '../../errors.js'
import { defaultSelectWinner } from '../kernel/winner.js'
import { type DynamicFinding, type PlannerContext, type TopologyMove, type TopologyPlanner, parseTopologyMove } from './topology-move.js'
import { describeValue } from '../../util/describe-value.js'

/** Decisions of the dynamic driver: keep planning, or the planner ended the loop. @experimental */
export type DynamicDecision = 'continue' | 'done'

/** Options of {@link createDynamicDriver}. @experimental */
export interface DynamicDriverOptions<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> {
  /** Chooses each round's move; see {@link createSandboxPlanner} and {@link createBackendPlanner}. */
  planner: TopologyPlanner<Task, Output, Verdict>
  /** Hard cap on iterations: fanouts are trimmed to it, and once reached the next move is a stop without asking the planner. Default 8. */
  maxIterations?: number
  /** Widest fanout; wider ones (or ones past `maxIterations`) are trimmed and the rationale says so. Default 4. */
  maxFanout?: number
  /** Mines the history into findings handed to the planner; must return an array. */
  analyze?: (
    history: readonly Iteration<Task, Output, Verdict>[],
    ctx: { task: Task; signal?: AbortSignal },
  ) => readonly (DynamicFinding | string)[] | Promise<readonly (DynamicFinding | string)[]>
  /** Driver name in traces. Default `dynamic`. */
  name?: string
  /** Passed to the planner and `analyze`, combined with the loop's own abort signal. */
  signal?: AbortSignal
}

/** A {@link Driver} whose topology a planner chooses each round. @experimental */
export interface DynamicDriver<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict>
  extends Driver<Task, Output, DynamicDecision, Verdict> {
  name: string
  describePlan(): PlanDescription | undefined
  /** The last move the driver acted on (after clamping), or undefined before the first plan. */
  lastMove(): TopologyMove<Task> | undefined
  /** The iteration a `select` move chose, if any. */
  selectedIndex(): number | undefined
  /**
   * The driver's winner rule, which `runLoop` applies on its own: the selected
   * iteration after a `select` move, else the kernel's default (best valid score, lowest index).
   */
  selectWinner(iterations: readonly Iteration<Task, Output, Verdict>[]): Iteration<Task, Output, Verdict> | undefined
}

function positiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ValidationError(`createDynamicDriver: ${name} must be a positive integer, got ${describeValue(value)}.`)
  }
  return value
}

function normalizeFindings(raw: unknown): DynamicFinding[] {
  if (!Array.isArray(raw)) {
    throw new PlannerError(`analyze must return an array of findings, got ${raw === null ? 'null' : typeof raw}; return [] when there is nothing to report.`)
  }
  return raw.map((f, i) => {
    if (typeof f === 'string') return { summary: f }
    if (!f || typeof f !== 'object' || typeof (f as DynamicFinding).summary !== 'string') {
      throw new PlannerError(`analyze finding ${i} is not a string or {summary: string}; got ${JSON.stringify(f) ?? String(f)}.`)
    }
    const finding = f as DynamicFinding
    if (finding.source === 'judge' || finding.source === 'validator') {
      // The planner must not steer by the scorer's private evidence, or it learns to game the judge.
      throw new PlannerError(`analyze finding ${i} is ${finding.source}-derived evidence; findings must come from iteration outputs, not from the scorer.`)
    }
    return { ...finding }
  })
}

/**
 * Creates a driver whose topology an injected planner authors per round:
 * `refine`, `fanout`, `stop` or `select{index}`. A malformed move throws
 * {@link PlannerError}; a fanout wider than `maxFanout` (or than the
 * iterations left before `maxIterations`) is trimmed with
 * " [clamped N→M]" added to its rationale; once `maxIterations` iterations
 * ran, the next move is a stop without calling the planner. `decide` returns
 * `done` only after a stop or select; after a `select`, `runLoop` makes the
 * chosen iteration the winner through the driver's `selectWinner`.
 * @experimental
 * @example
 * const driver = createDynamicDriver({
 *   planner: ({ history }) => (history.length === 0 ? { kind: 'refine', task } : { kind: 'stop', rationale: 'good enough' }),
 * })
 * const result = await runLoop({ driver, agentRun, output, validator, task, ctx })
 */
export function createDynamicDriver<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict>(
  options: DynamicDriverOptions<Task, Output, Verdict>,
): DynamicDriver<Task, Output, Verdict> {
  if (!options || typeof options.planner !== 'function') {
    throw new ValidationError(`createDynamicDriver: planner must be a function (ctx) => TopologyMove, got ${options ? typeof options.planner : 'no options'}.`)
  }
  if (options.analyze !== undefined && typeof options.analyze !== 'function') {
    throw new ValidationError(`createDynamicDriver: analyze must be a function (history) => findings[], got ${typeof options.analyze}.`)
  }
  const maxIterations = positiveInt(options.maxIterations ?? 8, 'maxIterations')
  const maxFanout = positiveInt(options.maxFanout ?? 4, 'maxFanout')
  const { planner, analyze } = options
  const name = options.name ?? 'dynamic'

  let round = 0
  let move: TopologyMove<Task> | undefined
  let selected: number | undefined

  async function nextMove(task: Task, history: readonly Iteration<Task, Output, Verdict>[], loopSignal?: AbortSignal): Promise<TopologyMove<Task>> {
    // Either the driver's own signal or the loop's abort cancels the planner.
    const signal = options.signal && loopSignal ? AbortSignal.any([options.signal, loopSignal]) : (options.signal ?? loopSignal)
    const spent = history.length
    if (spent >= maxIterations) return { kind: 'stop', rationale: `maxIterations (${maxIterations}) reached` }
    let findings: DynamicFinding[] = []
    if (analyze) {
      let raw: unknown
      try {
        raw = await analyze(history, { task, signal })
      } catch (err) {
        if (err instanceof AgentRuntimeError || isAbortError(err)) throw err
        throw new PlannerError(`analyze threw in round ${round}: ${errorMessage(err)}`, { cause: err })
      }
      findings = normalizeFindings(raw)
    }
    const ctx: PlannerContext<Task, Output, Verdict> = {
      task,
      history,
      iterationsSpent: spent,
      iterationsRemaining: maxIterations - spent,
      roundIndex: round,
      findings,
      signal,
    }
    let raw: unknown
    try {
      raw = await planner(ctx)
    } catch (err) {
      if (err instanceof AgentRuntimeError || isAbortError(err)) throw err
      throw new PlannerError(`Planner threw in round ${round}: ${errorMessage(err)}`, { cause: err })
    }
    return parseTopologyMove<Task>(raw)
  }

  function checkIndex(index: number | undefined, what: string, history: readonly Iteration<Task, Output, Verdict>[]): void {
    if (index !== undefined && index >= history.length) {
      throw new PlannerError(`Planner ${what} ${index} names no iteration; the history has ${history.length} (indices 0..${history.length - 1}).`)
    }
  }

  return {
    name,
    async plan(task, history, planCtx) {
      if (history.length === 0 && round > 0) {
        // A fresh loop reusing this driver: forget the previous loop's moves.
        round = 0
        move = undefined
        selected = undefined
      }
      let next = await nextMove(task, history, planCtx?.signal)
      round += 1
      switch (next.kind) {
        case 'refine':
          checkIndex(next.parentIndex, 'parentIndex', history)
          move = next
          return [next.task]
        case 'fanout': {
          checkIndex(next.parentIndex, 'parentIndex', history)
          // maxIterations is a hard cap: a fanout may not overrun it, just as it may not exceed maxFanout.
          const width = Math.min(maxFanout, maxIterations - history.length)
          if (next.tasks.length > width) {
            const note = `[clamped ${next.tasks.length}→${width}]`
            next = { ...next, tasks: next.tasks.slice(0, width), rationale: next.rationale ? `${next.rationale} ${note}` : note }
          }
          move = next
          return [...next.tasks]
        }
        case 'select': {
          const chosen = history[next.index]
          if (!chosen || chosen.output === undefined || chosen.error) {
            throw new PlannerError(
              `Planner selected iteration ${next.index}, which ${chosen ? 'has no usable output' : 'does not exist'}; select one of ${
                history
                  .filter((it) => it.output !== undefined && !it.error)
                  .map((it) => it.index)
                  .join(', ') || '(none yet)'
              }.`,
            )
          }
          selected = next.index
          move = next
          return []
        }
        default:
          move = next
          return []
      }
    },
    decide() {
      return move?.kind === 'stop' || move?.kind === 'select' ? 'done' : 'continue'
    },
    describePlan() {
      if (!move) return undefined
      const parentIndex = move.kind === 'refine' || move.kind === 'fanout' ? move.parentIndex : move.kind === 'select' ? move.index : undefined
      return { kind: move.kind, rationale: move.rationale, parentIndex }
    },
    lastMove: () => move,
    selectedIndex: () => selected,
    selectWinner(iterations) {
      if (selected !== undefined) {
        const chosen = iterations.find((it) => it.index === selected)
        if (chosen) return chosen
      }
      return defaultSelectWinner(iterations)
    },
  }
}
