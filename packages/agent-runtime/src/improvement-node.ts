export * from '@tangle-network/agent-runtime-improvement/node'
