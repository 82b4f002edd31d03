/** @tangle-network/agent-runtime: the core engine plus the conversation API. */
export * from '@tangle-network/agent-runtime-core'
export * from '@tangle-network/agent-runtime-conversations'
// Node-only engine adapters (createOtelExporter); this entry is Node's already, through the file journal.
export * from '@tangle-network/agent-runtime-core/node'
