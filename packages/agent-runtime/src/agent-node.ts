export * from '@tangle-network/agent-runtime-core/agent/node'
