import { ConfigError } from '@tangle-network/agent-runtime-core'
import type { ConversationJournal, ConversationJournalEntry, ConversationTurn, HaltReason } from '@tangle-network/agent-runtime-conversations'

const WHY =
  'FileConversationJournal needs node:fs, which this runtime (Workers, browser) does not have. ' +
  'Use SqlConversationJournal with d1ToSqlAdapter (or another SqlAdapter), or InMemoryConversationJournal.'

/**
 * What the root entry exports as `FileConversationJournal` under the `workerd`,
 * `worker` and `browser` export conditions: the same shape as the Node class,
 * but constructing it throws a `ConfigError` that names the alternatives, so a
 * Worker bundle never pulls in `node:fs`. Node, Bun and Deno get the real class.
 * @stable
 * @example
 * // In a Worker: new FileConversationJournal('j.jsonl') throws ConfigError; use new SqlConversationJournal(d1ToSqlAdapter(env.DB))
 */
export class FileConversationJournal implements ConversationJournal {
  constructor(path: string, _options?: { index?: boolean }) {
    throw new ConfigError(`${WHY} (asked for ${JSON.stringify(path)})`)
  }
  loadRun(_runId: string): Promise<ConversationJournalEntry | undefined> {
    return Promise.reject(new ConfigError(WHY))
  }
  beginRun(_runId: string, _startedAt: string): Promise<void> {
    return Promise.reject(new ConfigError(WHY))
  }
  appendTurn(_runId: string, _turn: ConversationTurn): Promise<void> {
    return Promise.reject(new ConfigError(WHY))
  }
  recordHalt(_runId: string, _halt: HaltReason, _endedAt: string): Promise<void> {
    return Promise.reject(new ConfigError(WHY))
  }
  close(): Promise<void> {
    return Promise.resolve()
  }
}
