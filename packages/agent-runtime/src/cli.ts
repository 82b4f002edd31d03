export * from '@tangle-network/agent-runtime-cli'
