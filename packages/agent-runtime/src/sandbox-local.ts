export * from '@tangle-network/agent-runtime-sandbox-local'
