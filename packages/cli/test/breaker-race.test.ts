import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openBudgetLedger } from '@tangle-network/agent-runtime-cli'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const TSX = import.meta.resolve('tsx')
const WORKER = join(import.meta.dirname, 'breaker-race-worker.ts')
const dir = mkdtempSync(join(tmpdir(), 'breaker-race-'))
const tables: string[] = []
const unique = (tag: string) => {
  const t = `t_j12_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 7)}`
  tables.push(t)
  return t
}
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
  for (const t of tables) await pool.query(`DROP TABLE IF EXISTS ${t}`)
  await pool.end()
})

interface WorkerResult {
  iterations: number
  decision: string
  limit?: string
}

function race(target: string, table: string, cap: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, WORKER, target, table, String(cap)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim()) as WorkerResult) : reject(new Error(`worker exited ${code}: ${err}`))))
  })
}

const targets: Array<[string, () => string]> = [
  ['sqlite', () => join(dir, `${Math.random().toString(36).slice(2)}.db`)],
  ['postgres', () => DATABASE_URL],
]

describe.each(targets)('runLoop with a budget breaker, two processes on one %s ledger', (_name, target) => {
  it('reserves before each iteration, so together they stay within the day cap (at most one iteration over)', async () => {
    const where = target()
    const table = unique('br')
    // 1,000 tokens an iteration against 10,500: a reservation per iteration stops at 10,000; checking only "already over?" reaches 11,000 or more.
    const cap = 10_500
    const [a, b] = await Promise.all([race(where, table, cap), race(where, table, cap)])
    expect(a).toMatchObject({ decision: 'budget-exceeded', limit: 'daily-cap' })
    expect(b).toMatchObject({ decision: 'budget-exceeded', limit: 'daily-cap' })
    const { ledger, close } = await openBudgetLedger(where, { table })
    const spent = await ledger.totals('loop-race', '2026-03-01')
    await close()
    // Every iteration's usage is in the ledger and no reservation is left behind.
    expect(spent.tokens).toBe((a.iterations + b.iterations) * 1000)
    expect(spent.tokens).toBeLessThanOrEqual(cap)
    expect(a.iterations + b.iterations).toBe(10)
  }, 180_000)
})
