/** @tangle-network/agent-runtime: the core engine plus the conversation API. */
export * from '@tangle-network/agent-runtime-core'
export * from '@tangle-network/agent-runtime-conversations'
// Workers-safe entry: the file journal is a stand-in that throws ConfigError here; `index-node.ts` (the `node` condition) has the real one.
export { FileConversationJournal } from './file-journal-unavailable.js'
