/** Scale-out (Node only): createPostgresDispatcher and runWorker over graphile-worker on PostgreSQL. */
export * from '@tangle-network/agent-runtime-worker'
