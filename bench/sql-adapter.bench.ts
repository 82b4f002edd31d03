/**
 * One small statement through the shipped SQL adapters against the drivers
 * used directly, same process, same database:
 *
 * - better-sqlite3: `betterSqlite3ToSqlAdapter` (statements cached) against a
 *   statement prepared once and reused (the floor), and against preparing on
 *   every call (what the adapter did before).
 * - node-postgres: `pgToSqlAdapter` (named prepared statements) against
 *   `pool.query(text, values)` (unnamed: parsed and planned every call),
 *   both with synchronous_commit=off so the commit flush does not hide them.
 *
 * Paired, interleaved rounds; each ratio printed as min / median / max.
 * Env: BENCH_SQL_OPS (default 2000), BENCH_ROUNDS (default 7), DATABASE_URL.
 *
 *   cd bench && pnpm exec tsx --conditions=source sql-adapter.bench.ts
 */
import { betterSqlite3ToSqlAdapter, pgToSqlAdapter } from '@tangle-network/agent-runtime-core'
import Database from 'better-sqlite3'
import { createPgPool, uniqueTablePrefix } from '../test/support/pg.js'

const OPS = Number(process.env.BENCH_SQL_OPS ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
// The shape of a journal append: a conditional insert with a few parameters.
const INSERT = (t: string) => `INSERT INTO ${t} (run_id, idx, body) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM ${t} WHERE run_id = ? AND idx = ?)`

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return `${s[0]!.toFixed(2)} / ${s[Math.floor(s.length / 2)]!.toFixed(2)} / ${s[s.length - 1]!.toFixed(2)}`
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function timed(fn: () => Promise<void> | void): Promise<number> {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

async function rounds(variants: Record<string, (round: number) => Promise<number>>): Promise<Record<string, number[]>> {
  const names = Object.keys(variants)
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...names]
    for (let k = 0; k < round % names.length; k++) order.push(order.shift()!)
    for (const name of order) out[name]!.push(await variants[name]!(round))
  }
  return out
}

const body = JSON.stringify({ text: 'a reply of about a hundred characters, which is what a short agent message looks like.' })
const usPerOp = (ms: number[]) => `${((median(ms) * 1000) / OPS).toFixed(1)} µs/op`

// --- SQLite (in memory: the statement cost, not the disk, is what is compared)
const db = new Database(':memory:')
db.exec('CREATE TABLE t (run_id TEXT, idx INTEGER, body TEXT, PRIMARY KEY (run_id, idx))')
const adapter = betterSqlite3ToSqlAdapter(db)
const sql = INSERT('t')
const cached = db.prepare(sql)
const sqlite = await rounds({
  adapter: (r) =>
    timed(async () => {
      for (let i = 0; i < OPS; i++) await adapter.exec(sql, [`a${r}`, i, body, `a${r}`, i])
    }),
  cached: (r) =>
    timed(() => {
      for (let i = 0; i < OPS; i++) cached.run(`c${r}`, i, body, `c${r}`, i)
    }),
  preparePerCall: (r) =>
    timed(() => {
      for (let i = 0; i < OPS; i++) db.prepare(sql).run(`p${r}`, i, body, `p${r}`, i)
    }),
})
db.close()

// --- PostgreSQL
// synchronous_commit=off on both sides: the WAL flush per commit would drown what is compared (parse and plan).
const pool = createPgPool(1, { options: '-c synchronous_commit=off' })
const table = `${uniqueTablePrefix('sqlbench')}_t`
await pool.query(`CREATE TABLE ${table} (run_id TEXT, idx INTEGER, body TEXT, PRIMARY KEY (run_id, idx))`)
const pgAdapter = pgToSqlAdapter(pool)
const pgSql = INSERT(table)
let n = 0
const pgText = pgSql.replace(/\?/g, () => `$${++n}`)
const PG_OPS = Math.min(OPS, 1000)
let pg: Record<string, number[]>
try {
  pg = await rounds({
    adapter: (r) =>
      timed(async () => {
        for (let i = 0; i < PG_OPS; i++) await pgAdapter.exec(pgSql, [`a${r}`, i, body, `a${r}`, i])
      }),
    unnamed: (r) =>
      timed(async () => {
        for (let i = 0; i < PG_OPS; i++) await pool.query(pgText, [`u${r}`, i, body, `u${r}`, i])
      }),
  })
} finally {
  await pool.query(`DROP TABLE IF EXISTS ${table}`)
  await pool.end()
}

console.log(`sql-adapter bench: ${OPS} SQLite / ${PG_OPS} PostgreSQL conditional inserts per round, ${ROUNDS} paired interleaved rounds`)
console.log(`SQLite  adapter (cached statements)   ${usPerOp(sqlite.adapter!)}`)
console.log(`SQLite  one prepared statement (floor) ${usPerOp(sqlite.cached!)}`)
console.log(`SQLite  prepare on every call          ${usPerOp(sqlite.preparePerCall!)}`)
console.log(`SQLite  ratio adapter / floor:          ${stats(sqlite.adapter!.map((t, i) => t / sqlite.cached![i]!))}`)
console.log(`SQLite  ratio prepare-per-call / adapter: ${stats(sqlite.preparePerCall!.map((t, i) => t / sqlite.adapter![i]!))}`)
console.log(`PostgreSQL adapter (named statements)  ${((median(pg.adapter!) * 1000) / PG_OPS).toFixed(1)} µs/op`)
console.log(`PostgreSQL unnamed pool.query          ${((median(pg.unnamed!) * 1000) / PG_OPS).toFixed(1)} µs/op`)
console.log(`PostgreSQL ratio unnamed / adapter:     ${stats(pg.unnamed!.map((t, i) => t / pg.adapter![i]!))}`)
