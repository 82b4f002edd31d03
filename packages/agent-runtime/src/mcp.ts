export * from '@tangle-network/agent-runtime-mcp'
