/**
 * The dispatch hook of the delegation server: with a dispatcher, the server
 * only files delegations and hands them to a queue; workers in other
 * processes (or hosts) run them and write results to the shared store.
 */
import type { DelegationRecord } from './store/types.js'

/**
 * Where a server sends delegations instead of running them itself. The
 * PostgreSQL one (`createPostgresDispatcher` in `@tangle-network/agent-runtime-worker`)
 * turns each into a graphile-worker job keyed by the task id.
 * @experimental
 */
export interface DelegationDispatcher {
  /** Queues a pending delegation; queuing the same task id twice is one job. */
  enqueue(record: DelegationRecord): Promise<void>
  /** Tells whichever worker runs the delegation to abort it (the store already says `cancelled`). */
  cancel(taskId: string): Promise<void>
  /** Calls `listener` with a task id whenever a worker changed that delegation's state; returns the unsubscribe. */
  onStatusChange?(listener: (taskId: string) => void): Promise<() => void> | (() => void)
  /** Releases the dispatcher's connections. The server closes a dispatcher the bin opened, not one the caller passed. */
  close?(): Promise<void>
}
