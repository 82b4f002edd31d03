/** Scale-out for agent-runtime (Node only): delegations and cadences as graphile-worker jobs on PostgreSQL. */
export {
  createPostgresDispatcher,
  type PostgresDispatcher,
  type PostgresDispatcherOptions,
  type ResolvedDispatcherOptions,
} from './dispatcher.js'
export {
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_DELEGATION_ATTEMPTS,
  DEFAULT_SWEEP_MS,
  type RunWorkerOptions,
  runWorker,
  type WorkerHandle,
  type WorkerStats,
} from './worker.js'
export type { DelegationJobOutcome, WorkerDelegate } from './delegation-job.js'
export { type CadenceSchedule, cadenceToCron } from './cadence.js'
export { CADENCE_TASK, DELEGATION_TASK, type DelegationChannels, SWEEP_TASK, delegationChannels, delegationTask } from './channels.js'
export { type PatternScheduleOptions, patternSchedule } from './pattern-schedule.js'
export { type DispatchedLoopRunnerOptions, dispatchedLoopRunner } from './remote-runner.js'
