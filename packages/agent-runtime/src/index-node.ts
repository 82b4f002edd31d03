/**
 * The root entry for runtimes with `node:fs` (Node, Bun, Deno; the `node`
 * export condition): the Workers-safe root plus the real file journal.
 */
export * from './index.js'
export { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
