export * from '@tangle-network/agent-runtime-conversations'
