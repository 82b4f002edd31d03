/**
 * The root entry for runtimes with `node:fs` (Node, Bun, Deno; the `node`
 * export condition): the same exports as `index.ts`, with the real file journal.
 * It repeats index.ts's re-exports rather than importing it: a bundler would
 * otherwise put both in a shared chunk, where `export *` of external packages is lost.
 */
export * from '@tangle-network/agent-runtime-core'
export * from '@tangle-network/agent-runtime-conversations'
export { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
