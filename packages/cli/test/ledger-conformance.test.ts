import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openBudgetLedger } from '@tangle-network/agent-runtime-cli'
import { type BudgetLedger, createBudgetBreaker, createMemoryBudgetLedger } from '@tangle-network/agent-runtime-core'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const TSX = import.meta.resolve('tsx')
const WORKER = join(import.meta.dirname, 'ledger-race-worker.ts')
const dir = mkdtempSync(join(tmpdir(), 'ledger-'))
const tables: string[] = []
const unique = (tag: string) => {
  const t = `t_i12_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 7)}`
  tables.push(t)
  return t
}
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true })
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 1 })
  for (const t of tables) await pool.query(`DROP TABLE IF EXISTS ${t}`)
  await pool.end()
})

type Factory = () => Promise<{ ledger: BudgetLedger; close(): Promise<void>; target?: string; table?: string }>
const backends: Array<[string, Factory]> = [
  ['memory', async () => ({ ledger: createMemoryBudgetLedger(), close: async () => undefined })],
  [
    'sqlite',
    async () => {
      const target = join(dir, `${Math.random().toString(36).slice(2)}.db`)
      const table = unique('sq')
      return { ...(await openBudgetLedger(target, { table })), target, table }
    },
  ],
  [
    'postgres',
    async () => {
      const table = unique('pg')
      return { ...(await openBudgetLedger(DATABASE_URL, { table })), target: DATABASE_URL, table }
    },
  ],
]

function race(target: string, table: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, WORKER, target, table], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('close', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`worker exited ${code}: ${err}`))))
  })
}

describe.each(backends)('budget ledger conformance: %s', (name, open) => {
  it('reserves within the cap, refuses past it, adjusts, and keeps days and scopes apart', async () => {
    const { ledger, close } = await open()
    try {
      expect(await ledger.totals('a', '2026-01-01')).toEqual({ tokens: 0, costUsd: 0 })
      expect(await ledger.reserve({ scope: 'a', day: '2026-01-01', tokens: 600, costUsd: 0.5, capTokens: 1000 })).toBe(true)
      expect(await ledger.reserve({ scope: 'a', day: '2026-01-01', tokens: 500, costUsd: 0, capTokens: 1000 })).toBe(false)
      expect(await ledger.reserve({ scope: 'a', day: '2026-01-01', tokens: 100, costUsd: 0.6, capCostUsd: 1 })).toBe(false)
      await ledger.adjust('a', '2026-01-01', { tokens: -100, costUsd: 0.25 })
      expect(await ledger.totals('a', '2026-01-01')).toEqual({ tokens: 500, costUsd: 0.75 })
      expect(await ledger.totals('a', '2026-01-02')).toEqual({ tokens: 0, costUsd: 0 })
      expect(await ledger.totals('b', '2026-01-01')).toEqual({ tokens: 0, costUsd: 0 })
      await ledger.notePeak('a', { tokens: 300, costUsd: 0.1 })
      await ledger.notePeak('a', { tokens: 200, costUsd: 0.2 })
      expect(await ledger.peak('a')).toEqual({ tokens: 300, costUsd: 0.2 })
    } finally {
      await close()
    }
  })

  it('a breaker over it rolls the day over at midnight in its time zone', async () => {
    const { ledger, close } = await open()
    try {
      let now = Date.UTC(2026, 2, 1, 22, 30) // 23:30 in Berlin (UTC+1)
      const breaker = createBudgetBreaker({ ledger, dailyTokenCap: 8000, timezone: 'Europe/Berlin', clock: () => now, scope: name })
      for (let i = 0; i < 2; i++) {
        expect((await breaker.check()).ok).toBe(true)
        await breaker.record({ tokens: 3000 })
        await breaker.settle()
      }
      const full = await breaker.check()
      expect(full).toMatchObject({ ok: false, halt: 'daily-cap', day: '2026-03-01', spent: { tokens: 6000 } })
      now += 60 * 60_000 // 00:30 in Berlin
      expect(await breaker.check()).toMatchObject({ ok: true, day: '2026-03-02' })
    } finally {
      await close()
    }
  })

  if (name !== 'memory') {
    it('two processes racing for one cap never overspend', async () => {
      const { target, table, close } = await open()
      await close()
      const [a, b] = await Promise.all([race(target!, table!), race(target!, table!)])
      expect(a + b).toBe(10)
      const again = await openBudgetLedger(target!, { table: table! })
      expect((await again.ledger.totals('race', '2026-03-01')).tokens).toBe(10_000)
      await again.close()
    }, 120_000)
  }
})
