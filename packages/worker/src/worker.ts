/**
 * `runWorker`: one process's share of the delegation queue. It runs
 * graphile-worker over the shared PostgreSQL, executes delegation jobs under
 * a lease with a heartbeat, sweeps expired leases on a cron, listens for
 * cross-process cancels, and runs scheduled pattern cadences.
 */
import { hostname } from 'node:os'
import { type Clock, ConfigError, errorMessage, pgToSqlAdapter, randomBase36, systemClock } from '@tangle-network/agent-runtime-core'
import { type CoderDelegate, type DelegationProfile, type DelegationReclaim, type DelegationRecord, type ResearcherDelegate, SqlDelegationStore } from '@tangle-network/agent-runtime-mcp'
import { Logger, run, type Runner, type Task } from 'graphile-worker'
import pg from 'pg'
import { type CadenceSchedule, cadenceCrontab } from './cadence.js'
import { CADENCE_TASK, delegationChannels, delegationTask, type Listener, listen, notify, SWEEP_TASK } from './channels.js'
import { type DelegationJobOutcome, runDelegationJob, type WorkerDelegate } from './delegation-job.js'
import type { PostgresDispatcher } from './dispatcher.js'
import { checkConnectionString, checkIdentifier, checkInteger } from './options.js'

/** Default heartbeat period (ms). @experimental */
export const DEFAULT_HEARTBEAT_MS = 5_000
/** Default lease (ms): a delegation whose worker has not heartbeaten for this long is up for the sweeper. @experimental */
export const DEFAULT_LEASE_MS = 30_000
/** Default sweep period (ms). @experimental */
export const DEFAULT_SWEEP_MS = 60_000
/** Default starts of one delegation before the sweeper fails it instead of re-queuing it. @experimental */
export const DEFAULT_MAX_DELEGATION_ATTEMPTS = 3

/** Options of {@link runWorker}. @experimental */
export interface RunWorkerOptions {
  /** The dispatcher whose queue to work (its connection, schema, queue, table prefix and concurrency), or give `connectionString`. */
  dispatcher?: PostgresDispatcher
  connectionString?: string
  /** Delegations (and cadence runs) at once in this process. Default the dispatcher's, else 4. */
  concurrency?: number
  queueName?: string
  /** graphile-worker schema. Default `graphile_worker`. */
  schema?: string
  /** Delegation store table prefix. Default `agent_runtime`. */
  tablePrefix?: string
  /** Runs `delegate_code` delegations. */
  coderDelegate?: CoderDelegate
  /** Runs `delegate_research` delegations. */
  researcherDelegate?: ResearcherDelegate
  /** Default 5 000 ms. Must be well under `leaseMs`. */
  heartbeatMs?: number
  /** Default 30 000 ms. */
  leaseMs?: number
  /** Default 60 000 ms. Whole minutes use graphile-worker's crontab; shorter periods (tests) a timer that queues the same sweep job. */
  sweepEveryMs?: number
  /** Starts of one delegation before the sweeper fails it (`interrupted`). Default 3. */
  maxDelegationAttempts?: number
  /** Pattern cadences to run on graphile-worker's crontab (see `patternSchedule`). */
  schedules?: CadenceSchedule[]
  /** This worker's id in leases. Default `<host>:<pid>:<random>`. */
  workerId?: string
  /** Clock of leases and heartbeats (epoch ms); all workers must share a time base. Default the system clock. */
  now?: Clock
  /** graphile-worker's poll for future-dated jobs (ms); new jobs arrive over LISTEN/NOTIFY. Default 2 000. */
  pollIntervalMs?: number
  /** Longest `stop()` waits for aborted delegates to return, in ms; after it their leases are expired anyway. Default 10 000. */
  stopGraceMs?: number
  /** Progress lines (stderr in the bin). Default: dropped. */
  log?: (line: string) => void
}

/** Counters of a worker since it started. @experimental */
export type WorkerStats = Record<DelegationJobOutcome, number> & { running: number; swept: number }

/** A running worker. @experimental */
export interface WorkerHandle {
  workerId: string
  stats(): WorkerStats
  /** Queues a sweep job now (the cron does this on its own). */
  sweepNow(): Promise<void>
  /** Stops taking jobs, aborts running delegations and expires their leases so another worker re-runs them, then closes connections. */
  stop(): Promise<void>
  /** Settles when the worker stopped (rejects if graphile-worker failed). */
  done: Promise<void>
}

function sweepCron(ms: number): string | undefined {
  if (ms % 60_000 !== 0) return undefined
  const minutes = ms / 60_000
  const minute = minutes >= 60 ? '0' : `*/${minutes}`
  return `${minute} * * * * ${SWEEP_TASK} ?id=${SWEEP_TASK}&max=1`
}

/**
 * Starts a worker: delegations queued by any `agent-runtime-mcp` (with
 * `AGENT_RUNTIME_DISPATCH=postgres`) or any dispatcher run here with the
 * given delegates, results land in the shared PostgreSQL delegation store.
 * @experimental
 * @example
 * const worker = await runWorker({ connectionString: process.env.DATABASE_URL!, concurrency: 4, coderDelegate })
 * process.once('SIGTERM', () => void worker.stop())
 */
export async function runWorker(options: RunWorkerOptions): Promise<WorkerHandle> {
  const where = 'runWorker'
  const d = options.dispatcher?.options
  const connectionString = checkConnectionString(where, options.connectionString ?? d?.connectionString)
  const concurrency = checkInteger(where, 'concurrency', options.concurrency ?? d?.concurrency ?? 4, 1)
  const schema = checkIdentifier(where, 'schema', options.schema ?? d?.schema ?? 'graphile_worker')
  const tablePrefix = checkIdentifier(where, 'tablePrefix', options.tablePrefix ?? d?.tablePrefix ?? 'agent_runtime')
  const queueName = options.queueName ?? d?.queueName
  if (queueName !== undefined) checkIdentifier(where, 'queueName', queueName)
  const heartbeatMs = checkInteger(where, 'heartbeatMs', options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, 10)
  const leaseMs = checkInteger(where, 'leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS, 10)
  if (heartbeatMs * 2 > leaseMs) throw new ConfigError(`${where}: heartbeatMs (${heartbeatMs}) must be at most half of leaseMs (${leaseMs}) so one late heartbeat does not lose the lease`)
  const sweepEveryMs = checkInteger(where, 'sweepEveryMs', options.sweepEveryMs ?? DEFAULT_SWEEP_MS, 10)
  const stopGraceMs = checkInteger(where, 'stopGraceMs', options.stopGraceMs ?? 10_000, 0)
  const maxAttempts = checkInteger(where, 'maxDelegationAttempts', options.maxDelegationAttempts ?? DEFAULT_MAX_DELEGATION_ATTEMPTS, 1)
  const now = options.now ?? systemClock
  const log = options.log ?? (() => {})
  const workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBase36(6)}`
  const channels = delegationChannels(tablePrefix)
  const schedules = options.schedules ?? []
  const crontabLines = cadenceCrontab(schedules)
  const cron = sweepCron(sweepEveryMs)
  if (cron) crontabLines.push(cron)

  const delegates: Partial<Record<DelegationProfile, WorkerDelegate>> = {}
  const coder = options.coderDelegate
  const researcher = options.researcherDelegate
  if (coder) delegates.coder = (args, ctx) => coder(args as never, ctx)
  if (researcher) delegates.researcher = (args, ctx) => researcher(args as never, ctx)
  if (!coder && !researcher && schedules.length === 0) {
    throw new ConfigError(`${where}: nothing to run; give coderDelegate and/or researcherDelegate (functions (args, ctx) => output), or schedules`)
  }

  const pool = new pg.Pool({ connectionString, max: Math.min(concurrency + 2, 10) })
  // An idle client's error (database restart) must not crash the worker; the next query reconnects.
  pool.on('error', (err) => log(`worker pool: ${err.message}`))
  pool.on('connect', (client) => client.on('error', (err) => log(`worker connection: ${err.message}`)))
  const store = new SqlDelegationStore(pgToSqlAdapter(pool), tablePrefix)
  const running = new Map<string, AbortController>()
  const fences = new Map<string, number>()
  const cadenceRuns = new Set<AbortController>()
  const counts: WorkerStats = { skipped: 0, completed: 0, failed: 0, fenced: 0, released: 0, running: 0, swept: 0 }
  let stopping = false
  let listener: Listener | undefined
  let runner: Runner | undefined
  let sweepTimer: ReturnType<typeof setInterval> | undefined
  const jobSpec = queueName ? { queueName } : {}

  const sweep = async (addJob: (record: DelegationRecord) => Promise<void>): Promise<DelegationReclaim> => {
    const res = await store.reclaimExpired(now(), maxAttempts)
    for (const r of res.requeued) await addJob(r)
    for (const r of [...res.requeued, ...res.failed]) await notify(pool, channels.status, r.taskId).catch(() => {})
    counts.swept += res.requeued.length + res.failed.length
    if (res.requeued.length || res.failed.length) {
      log(`sweep: re-queued ${res.requeued.map((r) => r.taskId).join(', ') || 'none'}; failed ${res.failed.map((r) => r.taskId).join(', ') || 'none'}`)
    }
    return res
  }

  const runDelegation: Task = async (payload) => {
    const taskId = (payload as { taskId?: unknown })?.taskId
    if (typeof taskId !== 'string') {
      log(`delegation job without a string taskId (payload ${JSON.stringify(payload)}): dropped`)
      return
    }
    const outcome = await runDelegationJob(taskId, {
      store,
      delegates,
      workerId,
      now,
      heartbeatMs,
      leaseMs,
      running,
      fences,
      isStopping: () => stopping,
      announce: (id) => notify(pool, channels.status, id),
      log,
    })
    counts[outcome]++
  }
  const taskList: Record<string, Task> = {
    // Only the profiles this worker has a delegate for: graphile-worker hands out no other delegation jobs.
    ...Object.fromEntries(Object.keys(delegates).map((profile) => [delegationTask(profile), runDelegation])),
    [SWEEP_TASK]: async (_payload, helpers) => {
      await sweep(async (r) => {
        await helpers.addJob(delegationTask(r.profile), { taskId: r.taskId }, { jobKey: r.taskId, jobKeyMode: 'preserve_run_at', ...jobSpec })
      })
    },
    [CADENCE_TASK]: async (payload, helpers) => {
      const id = (payload as { id?: unknown })?.id
      const schedule = schedules.find((s) => s.id === id)
      if (!schedule) {
        log(`cadence ${JSON.stringify(id)} is not scheduled on this worker (${workerId}); skipped`)
        return
      }
      const cronTs = (payload as { _cron?: { ts?: string } })._cron?.ts
      const controller = new AbortController()
      cadenceRuns.add(controller)
      const abort = () => controller.abort(helpers.abortSignal?.reason)
      helpers.abortSignal?.addEventListener('abort', abort, { once: true })
      try {
        log(`cadence ${schedule.id} started`)
        await schedule.run({ signal: controller.signal, scheduledAt: cronTs ? new Date(cronTs) : new Date(now()) })
        log(`cadence ${schedule.id} finished`)
      } finally {
        helpers.abortSignal?.removeEventListener('abort', abort)
        cadenceRuns.delete(controller)
      }
    },
  }

  try {
    await store.migrate()
    listener = await listen(
      connectionString,
      [channels.cancel],
      (_channel, taskId) => {
        const controller = running.get(taskId)
        if (!controller) return
        log(`delegation ${taskId}: cancel received`)
        controller.abort(new Error(`delegation ${taskId} cancelled`))
      },
      (message) => log(`${message}; cancels fall back to the heartbeat (every ${heartbeatMs} ms)`),
    )
    runner = await run({
      pgPool: pool,
      schema,
      concurrency,
      noHandleSignals: true,
      pollInterval: options.pollIntervalMs ?? 2_000,
      taskList,
      ...(crontabLines.length ? { crontab: crontabLines.join('\n') } : {}),
      // graphile-worker logs go to our progress log (never stdout); only warnings and errors.
      logger: new Logger(() => (level, message) => {
        if (level === 'error' || level === 'warning') log(`graphile-worker ${level}: ${message}`)
      }),
    })
  } catch (err) {
    await listener?.close()
    await pool.end().catch(() => {})
    throw err
  }
  const active = runner
  const queueSweep = () => active.addJob(SWEEP_TASK, {}, { jobKey: SWEEP_TASK, jobKeyMode: 'preserve_run_at', maxAttempts: 1 }).then(() => undefined)
  if (!cron) {
    // Sub-minute sweeps (tests, aggressive deployments): every worker queues the one sweep job; the job key keeps it one.
    sweepTimer = setInterval(() => {
      queueSweep().catch((err) => log(`queuing a sweep failed: ${errorMessage(err)}`))
    }, sweepEveryMs)
    ;(sweepTimer as { unref?: () => void }).unref?.()
  }
  log(`worker ${workerId} started: concurrency ${concurrency}, schema ${schema}, lease ${leaseMs} ms, heartbeat ${heartbeatMs} ms, sweep every ${sweepEveryMs} ms${schedules.length ? `, ${schedules.length} cadence(s)` : ''}`)

  let stopped: Promise<void> | undefined
  return {
    workerId,
    stats: () => ({ ...counts, running: running.size }),
    sweepNow: queueSweep,
    done: active.promise,
    stop() {
      stopped ??= (async () => {
        stopping = true
        if (sweepTimer) clearInterval(sweepTimer)
        for (const c of running.values()) c.abort(new Error(`worker ${workerId} is stopping`))
        for (const c of cadenceRuns) c.abort(new Error(`worker ${workerId} is stopping`))
        const jobsDone = active.stop().then(
          () => true,
          (err) => {
            log(`stopping graphile-worker: ${errorMessage(err)}`)
            return true
          },
        )
        // A delegate that ignores its signal must not keep the worker from stopping.
        let graceTimer: ReturnType<typeof setTimeout> | undefined
        const grace = new Promise<false>((resolve) => {
          graceTimer = setTimeout(() => resolve(false), stopGraceMs)
        })
        const finished = await Promise.race([jobsDone, grace])
        clearTimeout(graceTimer)
        if (!finished) {
          log(`${fences.size} delegation(s) still running ${stopGraceMs} ms after the abort; expiring their leases so another worker re-runs them`)
          await Promise.allSettled([...fences].map(([taskId, fence]) => store.heartbeat(taskId, fence, now() - 1, now())))
        }
        await listener?.close()
        await pool.end().catch(() => {})
        log(`worker ${workerId} stopped`)
      })()
      return stopped
    },
  }
}
