/**
 * Durable conversation transcripts. The runner appends every turn before it
 * emits that turn's `turn_end`, so a turn the caller has seen is on durable
 * storage; resuming the same run id continues from the first missing turn.
 */
import { AgentRuntimeError } from '@tangle-network/agent-runtime-core'
import type { ConversationTurn, HaltReason } from '../types.js'

/** Everything a journal holds about one run. @stable */
export interface ConversationJournalEntry {
  runId: string
  startedAt: string
  /** Set once the run reached a terminal state. */
  halted?: HaltReason
  endedAt?: string
  /** Committed turns, by index, each exactly once. */
  turns: ConversationTurn[]
}

/**
 * Where a conversation's committed turns are kept. Implementations refuse an
 * append to an unknown or halted run, and any turn whose index is not the
 * next one, so a turn can never be stored twice or out of order.
 * @stable
 */
export interface ConversationJournal {
  /** Prior state of `runId`, or `undefined` for a run never begun. The result is a copy the caller may keep. */
  loadRun(runId: string): Promise<ConversationJournalEntry | undefined>
  /** Creates the run. Idempotent for the same `startedAt`; a different `startedAt` throws `RuntimeRunStateError`. */
  beginRun(runId: string, startedAt: string): Promise<void>
  /** Durably appends a committed turn; resolves only once it survives a crash. */
  appendTurn(runId: string, turn: ConversationTurn): Promise<void>
  /** Records the terminal halt; afterwards appends are refused and `loadRun` returns the halt. */
  recordHalt(runId: string, halt: HaltReason, endedAt: string): Promise<void>
  /**
   * Takes (or renews) exclusive write ownership of a run for this journal
   * instance. Throws {@link ConversationLeaseError} when another live owner
   * holds it. Journals shared between processes implement it; the runner
   * calls it before every turn.
   */
  claimRun?(runId: string): Promise<void>
  /** Gives up ownership taken by `claimRun` without halting the run. */
  releaseRun?(runId: string): Promise<void>
}

/** Another worker owns the run right now; this one must not write to it. @stable */
export class ConversationLeaseError extends AgentRuntimeError {
  readonly runId: string
  readonly owner: string | undefined
  constructor(runId: string, owner: string | undefined, detail?: string) {
    super(
      'conflict',
      `Conversation run "${runId}" is owned by another worker${owner ? ` ("${owner}")` : ''}${detail ? ` (${detail})` : ''}; ` +
        'leave it to that worker, or resume it after its lease expires.',
    )
    this.runId = runId
    this.owner = owner
  }
}
