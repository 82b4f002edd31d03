/**
 * `createPostgresDispatcher`: delegations become graphile-worker jobs on
 * PostgreSQL, keyed by their task id, so a duplicate submit is one job.
 */
import { type Clock, pgToSqlAdapter, systemClock } from '@tangle-network/agent-runtime-core'
import {
  type DelegationDispatcher,
  type DelegationProfile,
  type DelegationRecord,
  delegationKey,
  newDelegationId,
  SqlDelegationStore,
} from '@tangle-network/agent-runtime-mcp'
import { makeWorkerUtils, type WorkerUtils } from 'graphile-worker'
import pg from 'pg'
import { delegationChannels, delegationTask, type Listener, listen, notify } from './channels.js'
import { checkConnectionString, checkIdentifier, checkInteger } from './options.js'

/** Options of {@link createPostgresDispatcher}. @experimental */
export interface PostgresDispatcherOptions {
  /** `postgres://…` of the database the servers and workers share. */
  connectionString: string
  /** Delegations one worker runs at once when started from this dispatcher ({@link runWorker}). Default 4. */
  concurrency?: number
  /** graphile-worker queue: jobs in one named queue run one at a time. Default none (in parallel). */
  queueName?: string
  /** graphile-worker schema. Default `graphile_worker`. */
  schema?: string
  /** Delegation store table prefix. Default `agent_runtime` (what `agent-runtime-mcp` uses). */
  tablePrefix?: string
  /** graphile-worker attempts for a job whose handler threw (database down, not a delegate failure). Default 5. */
  maxJobAttempts?: number
  /** Clock for task ids and submit times. Default the system clock. */
  now?: Clock
  /** Diagnostics (a lost LISTEN connection). Default: dropped. */
  log?: (line: string) => void
}

/** The settled options a dispatcher runs with. @experimental */
export interface ResolvedDispatcherOptions {
  connectionString: string
  concurrency: number
  queueName?: string
  schema: string
  tablePrefix: string
  maxJobAttempts: number
}

/** A {@link DelegationDispatcher} on PostgreSQL; also files delegations for callers that are not an MCP server. @experimental */
export interface PostgresDispatcher extends DelegationDispatcher {
  readonly options: ResolvedDispatcherOptions
  /** The shared delegation store (PostgreSQL, migrated on first use). */
  store(): Promise<SqlDelegationStore>
  /** Files a delegation like `delegate_code` does (same idempotency key) and queues it; a duplicate is the same task and one job. */
  submit(profile: DelegationProfile, args: Record<string, unknown>): Promise<{ record: DelegationRecord; created: boolean }>
  onStatusChange(listener: (taskId: string) => void): Promise<() => void>
  close(): Promise<void>
}

/**
 * Creates the PostgreSQL dispatcher: `enqueue` adds a graphile-worker job
 * keyed by the task id, `cancel` notifies the worker running it, and
 * `onStatusChange` hears workers' state changes. Hand it to
 * `createMcpServer({ dispatcher })` so the server only enqueues, and to
 * {@link runWorker} to run the jobs.
 * @experimental
 * @example
 * const dispatcher = createPostgresDispatcher({ connectionString: process.env.DATABASE_URL!, concurrency: 4 })
 * const { record } = await dispatcher.submit('coder', { goal: 'fix the flaky test', repoRoot: '/repo', variants: 1 })
 */
export function createPostgresDispatcher(options: PostgresDispatcherOptions): PostgresDispatcher {
  const where = 'createPostgresDispatcher'
  const resolved: ResolvedDispatcherOptions = {
    connectionString: checkConnectionString(where, options?.connectionString),
    concurrency: checkInteger(where, 'concurrency', options.concurrency ?? 4, 1),
    schema: checkIdentifier(where, 'schema', options.schema ?? 'graphile_worker'),
    tablePrefix: checkIdentifier(where, 'tablePrefix', options.tablePrefix ?? 'agent_runtime'),
    maxJobAttempts: checkInteger(where, 'maxJobAttempts', options.maxJobAttempts ?? 5, 1),
    ...(options.queueName !== undefined ? { queueName: checkIdentifier(where, 'queueName', options.queueName) } : {}),
  }
  const now = options.now ?? systemClock
  const log = options.log ?? (() => {})
  const channels = delegationChannels(resolved.tablePrefix)
  const pool = new pg.Pool({ connectionString: resolved.connectionString, max: 3 })
  // An idle client's error (database restart) must not crash the process; the next query reconnects.
  pool.on('error', (err) => log(`dispatcher pool: ${err.message}`))
  pool.on('connect', (client) => client.on('error', (err) => log(`dispatcher connection: ${err.message}`)))
  let utils: Promise<WorkerUtils> | undefined
  let store: Promise<SqlDelegationStore> | undefined
  let listener: Promise<Listener> | undefined
  const listeners = new Set<(taskId: string) => void>()

  const workerUtils = () => {
    utils ??= (async () => {
      const u = await makeWorkerUtils({ pgPool: pool, schema: resolved.schema })
      await u.migrate()
      return u
    })()
    return utils
  }
  const openStore = () => {
    store ??= (async () => {
      const s = new SqlDelegationStore(pgToSqlAdapter(pool), resolved.tablePrefix)
      await s.migrate()
      return s
    })()
    return store
  }

  const dispatcher: PostgresDispatcher = {
    options: resolved,
    store: openStore,
    async enqueue(record) {
      const u = await workerUtils()
      await u.addJob(
        delegationTask(record.profile),
        { taskId: record.taskId },
        {
          jobKey: record.taskId,
          // Same key: an unlocked job is updated in place (one job); a locked one gets a fresh job that finds the row not pending and returns.
          jobKeyMode: 'preserve_run_at',
          maxAttempts: resolved.maxJobAttempts,
          ...(resolved.queueName ? { queueName: resolved.queueName } : {}),
        },
      )
    },
    async cancel(taskId) {
      await notify(pool, channels.cancel, taskId)
    },
    async onStatusChange(fn) {
      listeners.add(fn)
      listener ??= listen(resolved.connectionString, [channels.status], (_ch, taskId) => {
        for (const l of listeners) l(taskId)
      }, log)
      await listener
      return () => {
        listeners.delete(fn)
      }
    },
    async submit(profile, args) {
      const s = await openStore()
      const namespace = typeof args.namespace === 'string' ? args.namespace : undefined
      const res = await s.submit({
        taskId: newDelegationId(now),
        idempotencyKey: delegationKey(profile, args),
        profile,
        ...(namespace !== undefined ? { namespace } : {}),
        args,
        createdAt: now(),
      })
      if (res.record.status === 'pending') await dispatcher.enqueue(res.record)
      return res
    },
    async close() {
      const l = listener
      listener = undefined
      await (await l?.catch(() => undefined))?.close()
      await (await utils?.catch(() => undefined))?.release()
      await pool.end().catch(() => {})
    },
  }
  return dispatcher
}
