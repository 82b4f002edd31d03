/**
 * @tangle-network/agent-runtime-conversations: multi-agent conversations
 * with call policy, forwarding headers and durable journals. This entry has
 * no `node:` imports and runs on Workers; the file journal is in `./node`.
 */
export * from './types.js'
export * from './call-policy.js'
export * from './forward-headers.js'
export * from './turn-id.js'
export { defineConversation } from './define.js'
export { runConversation, runConversationStream } from './run.js'
export { createConversationBackend, describeHalt } from './backend.js'
export * from './journal/types.js'
export { InMemoryConversationJournal } from './journal/memory.js'
export { SqlConversationJournal, type SqlConversationJournalOptions } from './journal/sql.js'
/** SQL driver adapters for {@link SqlConversationJournal}, re-exported from core. @stable */
export {
  betterSqlite3ToSqlAdapter,
  d1ToSqlAdapter,
  pgToSqlAdapter,
  type BetterSqlite3Like,
  type D1DatabaseLike,
  type PgQueryableLike,
  type SqlAdapter,
} from '@tangle-network/agent-runtime-core'
