/**
 * The rules every journal enforces, with the same errors and messages, so
 * the conformance suite can hold memory, file and SQL journals to one spec.
 */
import { NotFoundError, RuntimeRunStateError, ValidationError } from '@tangle-network/agent-runtime-core'
import type { ConversationTurn, HaltReason } from '../types.js'

/** Error for an operation on a run that was never begun. */
export function unknownRunError(runId: string, op: string): NotFoundError {
  return new NotFoundError(`Cannot ${op} conversation run "${runId}": the journal has no such run; call beginRun(runId, startedAt) first.`)
}

/** Error for an append or halt after the run halted. */
export function haltedRunError(runId: string, op: string, halt: HaltReason | undefined): RuntimeRunStateError {
  return new RuntimeRunStateError(
    `Cannot ${op} conversation run "${runId}": it already halted${halt ? ` (${halt.kind})` : ''}; start a new run id instead.`,
  )
}

/** Error for a turn whose index is not the next one (a duplicate or a gap). */
export function turnOrderError(runId: string, index: number, expected: number): RuntimeRunStateError {
  const what = index < expected ? 'it is already journaled' : 'earlier turns are missing'
  return new RuntimeRunStateError(
    `Cannot append turn ${index} to conversation run "${runId}": ${what}; the next index is ${expected}. Each turn is appended exactly once, in order.`,
  )
}

/** Error for `beginRun` on an existing run with another start time. */
export function startedAtMismatchError(runId: string, existing: string, requested: string): RuntimeRunStateError {
  return new RuntimeRunStateError(
    `Cannot begin conversation run "${runId}" at ${requested}: it already began at ${existing}; resume it with loadRun or pick a new run id.`,
  )
}

/** Validates a run id and a turn before they reach storage. */
export function assertTurn(runId: string, turn: ConversationTurn): void {
  assertRunId(runId)
  if (!turn || typeof turn !== 'object' || !Number.isSafeInteger(turn.index) || turn.index < 0 || typeof turn.text !== 'string' || typeof turn.speaker !== 'string') {
    throw new ValidationError(`Cannot append to conversation run "${runId}": expected a ConversationTurn with a non-negative integer index, a speaker and a text.`)
  }
}

/** Validates a run id. */
export function assertRunId(runId: string): void {
  if (typeof runId !== 'string' || runId === '') throw new ValidationError(`Expected a non-empty conversation run id, got ${JSON.stringify(runId)}.`)
}

/** A deep copy, so callers never share state with the journal. */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
