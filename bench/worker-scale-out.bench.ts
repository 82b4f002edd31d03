/**
 * Scale-out over graphile-worker on PostgreSQL, against graphile-worker alone,
 * both measured in this run on the same database with the same worker
 * processes (1, 2 and 4) and the same per-process concurrency.
 *
 * Ours: `agent-runtime-worker` processes (the real bin) running delegations
 * over an instant sandbox (one `runLoop` iteration on the scripted sandbox):
 * submit files the row and queues the job; the worker leases, heartbeats,
 * runs and writes the fenced result. Baseline: graphile-worker processes
 * running a no-op task.
 *
 * - throughput: BENCH_JOBS (default 1000) queued first, then drained by the
 *   workers: first start to last completion;
 * - latency: BENCH_LATENCY_JOBS (default 60) submits one at a time on idle
 *   workers, submit → start, p50 and p99.
 *
 * Ratios > 1 mean ours costs that many times the baseline. Needs DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test); BENCH_CONCURRENCY (default 4).
 *
 *   pnpm bench worker
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPostgresDispatcher, type PostgresDispatcher } from '@tangle-network/agent-runtime-worker'
import { makeWorkerUtils } from 'graphile-worker'
import pg from 'pg'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const JOBS = Number(process.env.BENCH_JOBS ?? 1000)
const LATENCY_JOBS = Number(process.env.BENCH_LATENCY_JOBS ?? 60)
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4)
const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const WORKER_BIN = join(root, 'packages/agent-runtime/src/bin/worker.ts')
const TSX = import.meta.resolve('tsx')
const tag = `bench_i15_${process.pid}`

interface Result {
  perSecond: number
  p50: number
  p99: number
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
}

function spawnNode(args: string[], env: Record<string, string> = {}, ipc = false): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', TSX, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ipc ? ['ignore', 'ignore', 'inherit', 'ipc'] : ['ignore', 'ignore', 'pipe'],
  })
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve()
          c.once('exit', () => resolve())
          c.kill('SIGTERM')
        }),
    ),
  )
}

async function ours(processes: number, pool: pg.Pool): Promise<Result> {
  const schema = `${tag}_gw_ours_${processes}`
  const prefix = `${tag}_dlg_${processes}`
  const dispatcher: PostgresDispatcher = createPostgresDispatcher({ connectionString: DATABASE_URL, schema, tablePrefix: prefix })
  const store = await dispatcher.store()
  // Migrate graphile-worker's schema once, before the workers start together.
  const utils = await makeWorkerUtils({ connectionString: DATABASE_URL, schema })
  await utils.migrate()
  await utils.release()
  const done = new Set<string>()
  let wake: () => void = () => {}
  await dispatcher.onStatusChange((id) => {
    done.add(id)
    wake()
  })
  const children: ChildProcess[] = []
  try {
    // Throughput: the queue is loaded first, then the workers drain it; first start to last completion.
    const ids: string[] = []
    for (let i = 0; i < JOBS; i++) ids.push((await dispatcher.submit('coder', { goal: `burst ${processes} ${i}`, repoRoot: '/r' })).record.taskId)
    await Promise.all(
      Array.from({ length: processes }, () => {
        const child = spawnNode([WORKER_BIN, '--config', join(here, 'worker/instant-worker.config.ts'), '--concurrency', String(CONCURRENCY)], {
          DATABASE_URL,
          AGENT_RUNTIME_WORKER_SCHEMA: schema,
          AGENT_RUNTIME_TABLE_PREFIX: prefix,
        })
        children.push(child)
        return new Promise<void>((resolve, reject) => {
          let err = ''
          child.stderr!.on('data', (d) => {
            err += d
            if (/worker \S+ started/.test(err)) resolve()
          })
          child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)))
        })
      }),
    )
    const waitFor = async (ids: string[]) => {
      for (;;) {
        const rows = await pool.query(`SELECT count(*)::int AS n FROM ${prefix}_delegations WHERE task_id = ANY($1) AND status = 'completed'`, [ids])
        if (rows.rows[0].n === ids.length) return
        await new Promise<void>((r) => {
          wake = r
          setTimeout(r, 200)
        })
      }
    }
    await waitFor(ids)
    const span = await pool.query(`SELECT min(started_at)::bigint AS a, max(completed_at)::bigint AS b FROM ${prefix}_delegations WHERE task_id = ANY($1)`, [ids])
    const perSecond = JOBS / ((Number(span.rows[0].b) - Number(span.rows[0].a)) / 1000)
    // Latency: one at a time on idle workers.
    const lat: number[] = []
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const { record } = await dispatcher.submit('coder', { goal: `latency ${processes} ${i}`, repoRoot: '/r' })
      await waitFor([record.taskId])
      const r = (await store.get(record.taskId))!
      lat.push(r.startedAt! - r.createdAt)
    }
    return { perSecond, p50: percentile(lat, 50), p99: percentile(lat, 99) }
  } finally {
    await stopAll(children)
    await dispatcher.close()
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await pool.query(`DROP TABLE IF EXISTS ${prefix}_delegations, ${prefix}_feedback`)
  }
}

async function bare(processes: number, pool: pg.Pool): Promise<Result> {
  const schema = `${tag}_gw_bare_${processes}`
  const utils = await makeWorkerUtils({ connectionString: DATABASE_URL, schema })
  await utils.migrate()
  const started = new Map<number, number>()
  let wake: () => void = () => {}
  const children: ChildProcess[] = []
  try {
    for (let i = 0; i < JOBS; i++) await utils.addJob('bench_noop', { id: i }, { jobKey: `bench-${i}` })
    await Promise.all(
      Array.from({ length: processes }, () => {
        const child = spawnNode([join(here, 'worker/bare-graphile-worker.ts'), DATABASE_URL, schema, String(CONCURRENCY)], {}, true)
        children.push(child)
        return new Promise<void>((resolve, reject) => {
          child.on('message', (m: { ready?: boolean; started?: number; id?: number }) => {
            if (m.ready) resolve()
            if (m.id !== undefined) {
              started.set(m.id, m.started!)
              wake()
            }
          })
          child.once('exit', (code) => reject(new Error(`bare worker exited ${code}`)))
        })
      }),
    )
    const waitFor = async (n: number) => {
      for (;;) {
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.jobs`)
        if (rows[0].n === 0 && started.size >= n) return
        await new Promise<void>((r) => {
          wake = r
          setTimeout(r, 200)
        })
      }
    }
    await waitFor(JOBS)
    const starts = [...started.values()]
    // The no-op job ends as it starts: first start to last start is the drain time.
    const perSecond = JOBS / ((Math.max(...starts) - Math.min(...starts)) / 1000)
    const lat: number[] = []
    for (let i = 0; i < LATENCY_JOBS; i++) {
      const id = JOBS + i
      const submitted = Date.now()
      await utils.addJob('bench_noop', { id }, { jobKey: `bench-${id}` })
      await waitFor(id + 1)
      lat.push(started.get(id)! - submitted)
    }
    return { perSecond, p50: percentile(lat, 50), p99: percentile(lat, 99) }
  } finally {
    await stopAll(children)
    await utils.release()
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  }
}

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 })
console.log(`${JOBS} delegations drained, ${LATENCY_JOBS} one at a time; ${CONCURRENCY} at once per worker process; PostgreSQL ${new URL(DATABASE_URL).host}`)
try {
  for (const processes of [1, 2, 4]) {
    const b = await bare(processes, pool)
    const o = await ours(processes, pool)
    console.log(
      `${processes} worker process${processes > 1 ? 'es' : ''}: ours ${o.perSecond.toFixed(0)} delegations/s, submit→start p50 ${o.p50} ms p99 ${o.p99} ms | ` +
        `graphile-worker alone ${b.perSecond.toFixed(0)} jobs/s, p50 ${b.p50} ms p99 ${b.p99} ms | ` +
        `throughput overhead ${(b.perSecond / o.perSecond).toFixed(2)}x, p50 latency ratio ${(o.p50 / Math.max(1, b.p50)).toFixed(2)}x`,
    )
  }
} finally {
  await pool.end()
}
