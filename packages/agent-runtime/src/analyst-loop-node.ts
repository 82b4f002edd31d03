export * from '@tangle-network/agent-runtime-analyst-loop/node'
