export * from '@tangle-network/agent-runtime-core/profiles'
