import type { DefaultVerdict, Iteration } from '../../contracts/loop.js'
import { PlannerError } from '../../errors.js'

/**
 * One round's topology, chosen by a planner: run one more attempt (`refine`),
 * several in parallel (`fanout`), end the loop (`stop`), or end it choosing an
 * earlier iteration as the winner (`select`).
 * @experimental
 */
export type TopologyMove<Task = unknown> =
  | { kind: 'refine'; task: Task; rationale?: string; parentIndex?: number }
  | { kind: 'fanout'; tasks: Task[]; rationale?: string; parentIndex?: number }
  | { kind: 'stop'; rationale?: string }
  | { kind: 'select'; index: number; rationale?: string }

/** The kinds a {@link TopologyMove} may have. @experimental */
export const TOPOLOGY_MOVE_KINDS = ['refine', 'fanout', 'stop', 'select'] as const

/**
 * A finding an `analyze` hook hands to the planner: an observation about past
 * iterations, derived from their outputs (never from the judge).
 * @experimental
 */
export interface DynamicFinding {
  summary: string
  /** Where the evidence came from; `judge` and `validator` are rejected. */
  source?: string
  iterationIndex?: number
  evidence?: string
}

/** What a planner is told each round. @experimental */
export interface PlannerContext<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> {
  /** The loop's root task. */
  task: Task
  history: readonly Iteration<Task, Output, Verdict>[]
  iterationsSpent: number
  iterationsRemaining: number
  /** Round about to be planned, from 0. */
  roundIndex: number
  /** Findings of the driver's `analyze` hook (empty without one). */
  findings: readonly DynamicFinding[]
  signal?: AbortSignal
}

/** Chooses the next topology move. @experimental */
export type TopologyPlanner<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> = (
  ctx: PlannerContext<Task, Output, Verdict>,
) => TopologyMove<Task> | Promise<TopologyMove<Task>>

function describe(value: unknown): string {
  if (value === undefined) return 'undefined'
  try {
    const text = JSON.stringify(value)
    return text.length > 200 ? `${text.slice(0, 200)}…` : text
  } catch {
    return String(value)
  }
}

function optionalIndex(value: unknown, field: string, raw: unknown): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new PlannerError(`Planner move has ${field} ${describe(value)}; it must be a non-negative integer iteration index (move: ${describe(raw)}).`)
  }
  return value
}

function optionalRationale(value: unknown, raw: unknown): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw new PlannerError(`Planner move has a non-string rationale ${describe(value)} (move: ${describe(raw)}).`)
  return value
}

/**
 * Checks that a planner's return value is a well-formed {@link TopologyMove}
 * and returns a clean copy. Throws {@link PlannerError} on a non-object, an
 * unknown kind, a refine without a task, an empty fanout, or a select without
 * a valid index.
 * @experimental
 * @example
 * const move = parseTopologyMove({ kind: 'fanout', tasks: ['a', 'b'] })
 */
export function parseTopologyMove<Task = unknown>(raw: unknown): TopologyMove<Task> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PlannerError(`Planner returned ${describe(raw)}, which is not a topology move; return {kind: 'refine'|'fanout'|'stop'|'select', ...}.`)
  }
  const move = raw as Record<string, unknown>
  const rationale = optionalRationale(move.rationale, raw)
  switch (move.kind) {
    case 'refine': {
      if (!('task' in move) || move.task === undefined) throw new PlannerError(`Planner refine move has no task (move: ${describe(raw)}); set {kind: 'refine', task}.`)
      const parentIndex = optionalIndex(move.parentIndex, 'parentIndex', raw)
      return { kind: 'refine', task: move.task as Task, rationale, parentIndex }
    }
    case 'fanout': {
      if (!Array.isArray(move.tasks) || move.tasks.length === 0) {
        throw new PlannerError(`Planner fanout move needs a non-empty tasks array, got ${describe(move.tasks)}; return at least one task or stop.`)
      }
      const parentIndex = optionalIndex(move.parentIndex, 'parentIndex', raw)
      return { kind: 'fanout', tasks: [...(move.tasks as Task[])], rationale, parentIndex }
    }
    case 'stop':
      return { kind: 'stop', rationale }
    case 'select': {
      const index = optionalIndex(move.index, 'index', raw)
      if (index === undefined) throw new PlannerError(`Planner select move has no index (move: ${describe(raw)}); set {kind: 'select', index}.`)
      return { kind: 'select', index, rationale }
    }
    default:
      throw new PlannerError(`Planner returned unknown move kind ${describe(move.kind)}; expected one of ${TOPOLOGY_MOVE_KINDS.join(', ')}.`)
  }
}
