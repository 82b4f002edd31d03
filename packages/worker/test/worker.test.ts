/**
 * runWorker in this process against the local PostgreSQL, with an injected
 * clock for leases: the sweeper, the attempt limit, releasing leases on stop,
 * option checks, and a pattern cadence on graphile-worker's crontab sharing
 * the PostgreSQL budget ledger.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGitWorkspace, createScriptedTickBackend, type LoopPattern, type PatternRunSummary } from '@tangle-network/agent-runtime-cli'
import { runDelegatedLoop } from '@tangle-network/agent-runtime-core'
import type { CoderDelegate, SqlDelegationStore } from '@tangle-network/agent-runtime-mcp'
import {
  CADENCE_TASK,
  cadenceToCron,
  createPostgresDispatcher,
  dispatchedLoopRunner,
  type PostgresDispatcher,
  patternSchedule,
  runWorker,
  SWEEP_TASK,
  type WorkerHandle,
} from '@tangle-network/agent-runtime-worker'
import { quickAddJob } from 'graphile-worker'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPool, DATABASE_URL, dropAll, uniqueName, until } from './helpers.js'

const pool = createPool()
afterAll(async () => {
  await pool.end()
})

let schema: string
let prefix: string
let clock: number
let dispatcher: PostgresDispatcher
let store: SqlDelegationStore
const workers: WorkerHandle[] = []
const now = () => clock
const instant: CoderDelegate = async (args) => ({ ran: args.goal }) as never

beforeEach(async () => {
  schema = uniqueName('gw')
  prefix = uniqueName('dlg')
  clock = 1_000_000
  dispatcher = createPostgresDispatcher({ connectionString: DATABASE_URL, concurrency: 2, schema, tablePrefix: prefix, now })
  store = await dispatcher.store()
})

afterEach(async () => {
  for (const w of workers.splice(0)) await w.stop()
  await dispatcher.close()
  await dropAll(pool, schema, prefix)
})

async function start(options: Partial<Parameters<typeof runWorker>[0]> = {}): Promise<WorkerHandle> {
  const w = await runWorker({ dispatcher, coderDelegate: instant, heartbeatMs: 1_000, leaseMs: 5_000, sweepEveryMs: 60_000, now, ...options })
  workers.push(w)
  return w
}

/** A delegation left `running` by a worker that died: leased until `expiresAt`. */
async function orphan(goal: string, expiresAt: number) {
  const { record } = await store.submit({ taskId: `dlg-${goal}`, idempotencyKey: `key-${goal}`, profile: 'coder', args: { goal, repoRoot: '/r' }, createdAt: clock })
  return (await store.start(record.taskId, record.version, clock, { owner: 'dead-host:1:x', expiresAt }))!
}

async function sweepRan(w: WorkerHandle): Promise<void> {
  await w.sweepNow()
  await until('the sweep job to run', async () => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.jobs WHERE key = $1`, [SWEEP_TASK])
    return rows[0].n === 0
  })
}

describe('runWorker (in process, injected clock)', { timeout: 90_000 }, () => {
  it('the sweeper leaves live leases alone and re-queues an expired one, which then completes here', async () => {
    const w = await start()
    const dead = await orphan('orphan', clock + 5_000)
    await sweepRan(w)
    expect(await store.get(dead.taskId)).toMatchObject({ status: 'running', version: dead.version, leaseOwner: 'dead-host:1:x' })
    clock += 5_001
    await sweepRan(w)
    const done = await until('the re-queued delegation to complete', async () => {
      const r = await store.get(dead.taskId)
      return r?.status === 'completed' ? r : undefined
    })
    expect(done).toMatchObject({ attempts: 2, output: { ran: 'orphan' } })
    expect(w.stats()).toMatchObject({ completed: 1, swept: 1 })
  })

  it('after maxDelegationAttempts starts the sweeper fails the delegation as interrupted, and servers hear it', async () => {
    const w = await start({ maxDelegationAttempts: 1 })
    const heard: string[] = []
    const unsubscribe = await dispatcher.onStatusChange((id) => heard.push(id))
    const dead = await orphan('poison', clock + 10)
    clock += 11
    await sweepRan(w)
    expect(await store.get(dead.taskId)).toMatchObject({ status: 'failed', error: { kind: 'interrupted' }, attempts: 1 })
    await until('the status notification', () => heard.includes(dead.taskId), 10_000)
    unsubscribe()
  })

  it('stop() aborts a running delegation and expires its lease so the next sweep hands it to another worker', async () => {
    let started!: () => void
    const running = new Promise<void>((r) => (started = r))
    const hold: CoderDelegate = (_args, ctx) =>
      new Promise((_resolve, reject) => {
        started()
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })
      })
    const first = await start({ coderDelegate: hold })
    const { record } = await dispatcher.submit('coder', { goal: 'handover', repoRoot: '/r' })
    await running
    await first.stop()
    expect(first.stats()).toMatchObject({ released: 1, failed: 0 })
    const left = await store.get(record.taskId)
    expect(left?.status).toBe('running')
    expect(left!.leaseExpiresAt!).toBeLessThan(clock)
    const second = await start()
    await sweepRan(second)
    await until('the second worker to complete it', async () => (await store.get(record.taskId))?.status === 'completed')
    expect(await store.get(record.taskId)).toMatchObject({ attempts: 2, output: { ran: 'handover' } })
  })

  it('stop() gives up on a delegate that ignores its abort after stopGraceMs and still expires its lease', async () => {
    let started!: () => void
    const running = new Promise<void>((r) => (started = r))
    const deaf: CoderDelegate = () =>
      new Promise(() => {
        started()
      })
    const first = await start({ coderDelegate: deaf, stopGraceMs: 200 })
    const { record } = await dispatcher.submit('coder', { goal: 'deaf', repoRoot: '/r' })
    await running
    await first.stop()
    const left = await store.get(record.taskId)
    expect(left?.status).toBe('running')
    expect(left!.leaseExpiresAt!).toBeLessThan(clock)
  })

  it('stop() writes an output the delegate returned while the worker was stopping', async () => {
    let started!: () => void
    const running = new Promise<void>((r) => (started = r))
    let finish!: () => void
    // It ignores the abort and returns its output once the stop is under way.
    const late: CoderDelegate = () =>
      new Promise((resolve) => {
        finish = () => resolve({ ran: 'late' } as never)
        started()
      })
    const first = await start({ coderDelegate: late })
    const { record } = await dispatcher.submit('coder', { goal: 'late', repoRoot: '/r' })
    await running
    const stopping = first.stop()
    finish()
    await stopping
    expect(await store.get(record.taskId)).toMatchObject({ status: 'completed', output: { ran: 'late' }, attempts: 1 })
    expect(first.stats()).toMatchObject({ completed: 1, released: 0 })
  })

  it('a dropped LISTEN connection is re-opened, and cross-process cancels arrive again', async () => {
    const lines: string[] = []
    let started!: () => void
    let aborted!: () => void
    const running = new Promise<void>((r) => (started = r))
    const abortSeen = new Promise<void>((r) => (aborted = r))
    const hold: CoderDelegate = (_args, ctx) =>
      new Promise((_resolve, reject) => {
        started()
        ctx.signal.addEventListener(
          'abort',
          () => {
            aborted()
            reject(new Error('aborted'))
          },
          { once: true },
        )
      })
    await start({ coderDelegate: hold, heartbeatMs: 30_000, leaseMs: 60_000, log: (l) => lines.push(l) })
    const listenQuery = `LISTEN "${prefix}_dlg_cancel"`
    const listeners = async () => (await pool.query('SELECT pid FROM pg_stat_activity WHERE query = $1', [listenQuery])).rows.map((r) => Number(r.pid))
    const [first] = await until('the LISTEN connection', async () => ((await listeners()).length ? listeners() : undefined))
    await pool.query('SELECT pg_terminate_backend($1)', [first])
    await until('a new LISTEN connection', async () => {
      const pids = await listeners()
      return pids.length > 0 && !pids.includes(first!)
    })
    expect(lines.some((l) => l.includes('LISTEN connection lost'))).toBe(true)
    const { record } = await dispatcher.submit('coder', { goal: 'cancel-after-reconnect', repoRoot: '/r' })
    await running
    await store.cancel(record.taskId, clock)
    await dispatcher.cancel(record.taskId)
    // Well before the first heartbeat (30 s): only the notification can have aborted it.
    let seen = false
    void abortSeen.then(() => {
      seen = true
    })
    await until('the delegate to see the cancel', () => seen, 10_000)
    expect(lines.some((l) => l.includes(`delegation ${record.taskId}: cancel received`))).toBe(true)
  })

  it('a runDelegatedLoop caller runs its loop on the workers: output, delegate failure, and abort → cross-process cancel', async () => {
    let aborted = false
    const coder: CoderDelegate = (args, ctx) =>
      args.goal === 'boom'
        ? Promise.reject(new Error('tests failed'))
        : args.goal === 'hold'
          ? new Promise((_resolve, reject) =>
              ctx.signal.addEventListener(
                'abort',
                () => {
                  aborted = true
                  reject(new Error('aborted'))
                },
                { once: true },
              ),
            )
          : instant(args, ctx)
    await start({ coderDelegate: coder, heartbeatMs: 30_000, leaseMs: 60_000 })
    const ok = await runDelegatedLoop('code', { code: dispatchedLoopRunner(dispatcher, 'coder', { goal: 'remote', repoRoot: '/r' }) })
    expect(ok).toMatchObject({ mode: 'code', ok: true, output: { ran: 'remote' } })
    const failed = await runDelegatedLoop('code', { code: dispatchedLoopRunner(dispatcher, 'coder', { goal: 'boom', repoRoot: '/r' }) })
    expect(failed).toMatchObject({ ok: false })
    expect(failed.error).toMatch(/failed \(delegate\): tests failed/)
    const control = new AbortController()
    const pending = runDelegatedLoop('code', { code: dispatchedLoopRunner(dispatcher, 'coder', { goal: 'hold', repoRoot: '/r' }) }, { signal: control.signal })
    await until('the held delegation to run', async () => (await store.list({ limit: 10 })).some((r) => r.args.goal === 'hold' && r.status === 'running'))
    control.abort(new Error('caller gave up'))
    expect(await pending).toMatchObject({ ok: false })
    const held = (await store.list({ limit: 10 })).find((r) => r.args.goal === 'hold')!
    expect(held.status).toBe('cancelled')
    // The worker's heartbeat is 30 s: the abort arrived over the notification.
    await until('the worker to abort the delegate', () => aborted, 10_000)
  })

  it('a worker takes only the profiles it has a delegate for', async () => {
    const researcherOnly = await start({ coderDelegate: undefined, researcherDelegate: async (args) => ({ researched: args.question }) })
    const coderJob = await dispatcher.submit('coder', { goal: 'needs a coder', repoRoot: '/r' })
    const researchJob = await dispatcher.submit('researcher', { question: 'q' })
    await until('the research delegation to complete', async () => (await store.get(researchJob.record.taskId))?.status === 'completed')
    // The coder job was queued first, yet this worker never locked it.
    expect((await store.get(coderJob.record.taskId))?.status).toBe('pending')
    const { rows } = await pool.query(`SELECT task_identifier, locked_at FROM ${schema}.jobs WHERE key = $1`, [coderJob.record.taskId])
    expect(rows).toEqual([{ task_identifier: 'agent_runtime_delegation_coder', locked_at: null }])
    expect(researcherOnly.stats()).toMatchObject({ completed: 1, skipped: 0 })
    await start()
    await until('a coder worker to run it', async () => (await store.get(coderJob.record.taskId))?.status === 'completed')
  })

  it('checks its options and names the field', async () => {
    await expect(runWorker({ connectionString: 'mysql://db' })).rejects.toThrow(/connectionString must be a postgres:\/\/ URL/)
    await expect(runWorker({ connectionString: DATABASE_URL })).rejects.toThrow(/nothing to run; give coderDelegate and\/or researcherDelegate/)
    await expect(runWorker({ connectionString: DATABASE_URL, coderDelegate: instant, heartbeatMs: 20_000, leaseMs: 30_000 })).rejects.toThrow(/heartbeatMs \(20000\) must be at most half of leaseMs/)
    await expect(runWorker({ connectionString: DATABASE_URL, schedules: [{ id: 'x', cadence: 'every day', run: async () => {} }] })).rejects.toThrow(/cadence "every day"/)
    expect(() => createPostgresDispatcher({ connectionString: DATABASE_URL, schema: 'bad-name' })).toThrow(/schema "bad-name"/)
    expect(() => createPostgresDispatcher({ connectionString: DATABASE_URL, concurrency: 0 })).toThrow(/concurrency must be an integer >= 1/)
    expect(cadenceToCron('@daily')).toBe('0 0 * * *')
    expect(cadenceToCron(' 0  9 * * 1-5 ')).toBe('0 9 * * 1-5')
  })

  it('a pattern cadence is a crontab entry; its job runs the pattern with the budget in the shared PostgreSQL ledger', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'i15-cadence-'))
    const ledgerSchema = uniqueName('ledger')
    try {
      const git = (...a: string[]) => execFileSync('git', a, { cwd: repo })
      git('init', '-q', '-b', 'main')
      writeFileSync(join(repo, 'README.md'), '# sample\n')
      git('add', '-A')
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init')
      await pool.query(`CREATE SCHEMA ${ledgerSchema}`)
      // The ledger lives in its own schema so parallel test runs never share a budget table.
      const ledger = `${DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${ledgerSchema}`)}`
      const pattern: LoopPattern = {
        id: 'nightly-triage',
        name: 'Nightly Triage',
        file: 'LOOP.md',
        goal: 'Triage small things.',
        cadence: '0 3 * * *',
        risk: 'low',
        tools: [],
        skills: [],
        state: 'STATE.md',
        phases: ['triage'],
        human_gates: { allow: ['src/**'] },
        cost: { suggested_daily_cap: 50_000 },
      }
      const runs: PatternRunSummary[] = []
      const schedule = patternSchedule({
        pattern,
        level: 'L1',
        root: repo,
        backend: createScriptedTickBackend({ decision: 'report' }),
        workspace: createGitWorkspace({ repoRoot: repo }),
        dryRun: true,
        ledger,
        onRun: (s) => runs.push(s),
      })
      await start({ schedules: [schedule] })
      // graphile-worker's cron registers the slot it keeps (once for all workers) as it starts.
      await until('the cadence (and the default one-minute sweep) to be registered in the crontab', async () => {
        const { rows } = await pool.query(`SELECT identifier FROM ${schema}._private_known_crontabs`)
        const ids = rows.map((r) => r.identifier)
        return ids.includes('cadence_nightly-triage') && ids.includes(SWEEP_TASK)
      })
      // Fire the slot as graphile-worker's cron would (no waiting for 03:00).
      await quickAddJob({ connectionString: DATABASE_URL, schema }, CADENCE_TASK, { id: 'nightly-triage', _cron: { ts: new Date(clock).toISOString() } })
      await until('the cadence run', () => runs.length === 1)
      expect(runs[0]).toMatchObject({ patternId: 'nightly-triage', dryRun: true })
      const { rows } = await pool.query(`SELECT scope, tokens FROM ${ledgerSchema}.agent_runtime_budget_ledger WHERE scope = $1`, ['nightly-triage'])
      expect(rows.length).toBeGreaterThan(0)
      expect(rows.reduce((n, r) => n + Number(r.tokens), 0)).toBeGreaterThan(0)
      expect(() => patternSchedule({ pattern, root: repo, backend: createScriptedTickBackend(), workspace: createGitWorkspace({ repoRoot: repo }), ledger: join(repo, 'ledger.db') })).toThrow(/ledger must be a postgres:\/\/ URL/)
    } finally {
      await pool.query(`DROP SCHEMA IF EXISTS ${ledgerSchema} CASCADE`)
      rmSync(repo, { recursive: true, force: true })
    }
  })
})
