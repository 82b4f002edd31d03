import type { ConversationTurn, HaltReason } from '../types.js'
import { assertRunId, assertTurn, cloneJson, haltedRunError, startedAtMismatchError, turnOrderError, unknownRunError } from './checks.js'
import type { ConversationJournal, ConversationJournalEntry } from './types.js'

/**
 * A journal in process memory: for tests and scratch runs. It enforces the
 * same rules as the durable journals but does not survive a restart.
 * @stable
 * @example
 * const journal = new InMemoryConversationJournal()
 * await runConversation(conv, { seed: 'hi', runId: 'r1', journal })
 */
export class InMemoryConversationJournal implements ConversationJournal {
  private readonly entries = new Map<string, ConversationJournalEntry>()

  async loadRun(runId: string): Promise<ConversationJournalEntry | undefined> {
    assertRunId(runId)
    const entry = this.entries.get(runId)
    return entry ? cloneJson(entry) : undefined
  }

  async beginRun(runId: string, startedAt: string): Promise<void> {
    assertRunId(runId)
    const existing = this.entries.get(runId)
    if (existing) {
      if (existing.startedAt !== startedAt) throw startedAtMismatchError(runId, existing.startedAt, startedAt)
      return
    }
    this.entries.set(runId, { runId, startedAt, turns: [] })
  }

  async appendTurn(runId: string, turn: ConversationTurn): Promise<void> {
    assertTurn(runId, turn)
    const entry = this.entries.get(runId)
    if (!entry) throw unknownRunError(runId, 'append to')
    if (entry.halted) throw haltedRunError(runId, 'append to', entry.halted)
    if (turn.index !== entry.turns.length) throw turnOrderError(runId, turn.index, entry.turns.length)
    entry.turns.push(cloneJson(turn))
  }

  async recordHalt(runId: string, halt: HaltReason, endedAt: string): Promise<void> {
    assertRunId(runId)
    const entry = this.entries.get(runId)
    if (!entry) throw unknownRunError(runId, 'halt')
    if (entry.halted) throw haltedRunError(runId, 'halt', entry.halted)
    entry.halted = cloneJson(halt)
    entry.endedAt = endedAt
  }
}
