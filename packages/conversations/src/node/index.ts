/**
 * Node-only parts of the conversation API (they use `node:fs`):
 * `@tangle-network/agent-runtime-conversations/node`.
 */
export { FileConversationJournal, type FileConversationJournalOptions } from './file-journal.js'
