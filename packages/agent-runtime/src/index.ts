/** @tangle-network/agent-runtime: the core engine plus the conversation API. */
export * from '@tangle-network/agent-runtime-core'
export * from '@tangle-network/agent-runtime-conversations'
