/**
 * Every SQL store through a seed-002-shaped SqlAdapter: `exec` resolves only
 * `{ rowsAffected }` and there is no `dialect` field. Each store runs on real
 * SQLite (better-sqlite3) and real PostgreSQL, wrapped by `seedShaped`.
 */
import { createSqlFindingsStore } from '@tangle-network/agent-runtime-analyst-loop'
import {
  betterSqlite3ToSqlAdapter,
  createSqlBudgetLedger,
  createSqlChatTurnReplayStore,
  createSqlRuntimeRunAdapter,
  pgToSqlAdapter,
  type SqlAdapter,
  startRuntimeRun,
} from '@tangle-network/agent-runtime-core'
import { createSqlTraceStore } from '@tangle-network/agent-runtime-core/agent'
import { SqlConversationJournal } from '@tangle-network/agent-runtime-conversations'
import { createSqlCampaignStorage } from '@tangle-network/agent-runtime-improvement'
import { SqlDelegationStore } from '@tangle-network/agent-runtime-mcp'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { createPgPool, uniqueTablePrefix } from './support/pg.js'

/** Strips `dialect` and returns only `{ rowsAffected }` from exec, as the seed's adapter does. */
function seedShaped(inner: SqlAdapter, hooks: { beforeExec?: (sql: string) => void } = {}): SqlAdapter {
  return {
    exec: async (sql, params) => {
      hooks.beforeExec?.(sql)
      const r = await inner.exec(sql, params)
      return { rowsAffected: Number(r.rowsAffected ?? r.changes ?? 0) }
    },
    query: (sql, params) => inner.query(sql, params),
  }
}

// Past 2^31: an INTEGER column on PostgreSQL refuses it.
const EPOCH_MS = 1_764_547_200_123

const finding = (id: string) => ({
  finding_id: id,
  analyst_id: 'a1',
  severity: 'medium' as const,
  area: 'cost',
  claim: `claim ${id}`,
  evidence_refs: [],
  confidence: 0.5,
})

const cell = (key: string, value: number) => ({
  key,
  surfaceHash: 'h1',
  seed: 1,
  scenarioId: 's1',
  rep: 0,
  cellId: 'c1',
  value,
  scores: { q: value },
  notes: {},
  output: 'out',
  usage: { tokensIn: 1, tokensOut: 2, costUsd: 0.1 },
})

async function exerciseStores(inner: SqlAdapter, prefix: string): Promise<void> {
  const sql = seedShaped(inner)
  expect(sql).not.toHaveProperty('dialect')

  // Budget ledger: a reservation within the cap succeeds, one past it is refused; costs keep double precision.
  const ledger = createSqlBudgetLedger(sql, { table: `${prefix}ledger` })
  const day = '2026-12-01'
  expect(await ledger.reserve({ scope: 'loop', day, tokens: 60, costUsd: 0.123456789, capTokens: 100 })).toBe(true)
  expect(await ledger.reserve({ scope: 'loop', day, tokens: 30, costUsd: 0.2, capTokens: 100 })).toBe(true)
  expect(await ledger.reserve({ scope: 'loop', day, tokens: 20, costUsd: 0.1, capTokens: 100 })).toBe(false)
  const totals = await ledger.totals('loop', day)
  expect(totals.tokens).toBe(90)
  expect(Math.abs(totals.costUsd - 0.323456789)).toBeLessThan(1e-12)
  await ledger.adjust('loop', day, { tokens: 3_000_000_000, costUsd: 0 })
  expect((await ledger.totals('loop', day)).tokens).toBe(3_000_000_090)

  // Trace store: large epoch-ms timestamps and a double-precision cost survive.
  const traces = createSqlTraceStore(sql, { tablePrefix: `${prefix}trace_` })
  await traces.migrate()
  await traces.beginRun({ runId: 'r1', agentId: 'agent', startedAt: EPOCH_MS })
  await traces.append('r1', [{ kind: 'llm', type: 'call', timestamp: EPOCH_MS + 5, payload: { n: 1 } }] as never)
  await traces.endRun('r1', { status: 'completed', endedAt: EPOCH_MS + 10, costUsd: 0.123456789012 } as never)
  const got = await traces.getRun('r1')
  expect(got).toMatchObject({ runId: 'r1', status: 'completed', startedAt: EPOCH_MS, endedAt: EPOCH_MS + 10 })
  expect(Math.abs((got?.costUsd ?? 0) - 0.123456789012)).toBeLessThan(1e-12)
  expect((await traces.events('r1')).map((e) => e.timestamp)).toEqual([EPOCH_MS + 5])

  // Findings store: saved findings read back; a save that fails midway keeps the previous findings.
  let failInsertsAfter = Number.POSITIVE_INFINITY
  const flaky = seedShaped(inner, {
    beforeExec: (text) => {
      if (text.startsWith(`INSERT INTO ${prefix}find_items`) && failInsertsAfter-- <= 0) throw new Error('disk full')
    },
  })
  const findings = createSqlFindingsStore(flaky, { tablePrefix: `${prefix}find_` })
  await findings.migrate()
  await findings.save('run-a', [finding('f1'), finding('f2')], { createdAt: EPOCH_MS })
  expect((await findings.list('run-a')).map((f) => f.finding_id)).toEqual(['f1', 'f2'])
  failInsertsAfter = 1
  await expect(findings.save('run-a', [finding('g1'), finding('g2'), finding('g3')], { createdAt: EPOCH_MS + 1 })).rejects.toThrow('disk full')
  expect((await findings.list('run-a')).map((f) => f.finding_id)).toEqual(['f1', 'f2'])
  expect(await findings.listRuns()).toEqual([{ runId: 'run-a', createdAt: EPOCH_MS, count: 2 }])
  failInsertsAfter = Number.POSITIVE_INFINITY
  await findings.save('run-a', [finding('h1')], { createdAt: EPOCH_MS + 2 })
  expect((await findings.list('run-a')).map((f) => f.finding_id)).toEqual(['h1'])
  expect(await findings.listRuns()).toEqual([{ runId: 'run-a', createdAt: EPOCH_MS + 2, count: 1 }])

  // Findings tables made before save() kept generations: migrate() adds the columns and the old rows still read back.
  const old = `${prefix}oldfind_`
  await sql.exec(`CREATE TABLE ${old}runs (run_id TEXT PRIMARY KEY, created_at BIGINT NOT NULL)`)
  await sql.exec(
    `CREATE TABLE ${old}items (run_id TEXT NOT NULL, position INTEGER NOT NULL, finding_id TEXT NOT NULL, analyst_id TEXT NOT NULL, severity TEXT NOT NULL, area TEXT NOT NULL, confidence DOUBLE PRECISION NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, position))`,
  )
  await sql.exec(`INSERT INTO ${old}runs (run_id, created_at) VALUES (?, ?)`, ['legacy', EPOCH_MS])
  await sql.exec(`INSERT INTO ${old}items VALUES (?, 0, 'l1', 'a1', 'medium', 'cost', 0.5, ?)`, ['legacy', JSON.stringify(finding('l1'))])
  const upgraded = createSqlFindingsStore(sql, { tablePrefix: old })
  await upgraded.migrate()
  expect((await upgraded.list('legacy')).map((f) => f.finding_id)).toEqual(['l1'])
  await upgraded.save('legacy', [finding('l2')], { createdAt: EPOCH_MS + 1 })
  expect(await upgraded.listRuns()).toEqual([{ runId: 'legacy', createdAt: EPOCH_MS + 1, count: 1 }])
  expect((await upgraded.list('legacy')).map((f) => f.finding_id)).toEqual(['l2'])

  // Campaign storage: a cell reads back and an overwrite replaces it; a failed table create is retried.
  let failCreate = true
  const campaignSql = seedShaped(inner, {
    beforeExec: (text) => {
      if (text.startsWith('CREATE TABLE') && failCreate) {
        failCreate = false
        throw new Error('catalog busy')
      }
    },
  })
  const campaign = createSqlCampaignStorage(campaignSql, { table: `${prefix}cells` })
  await expect(campaign.put(cell('k1', 0.25))).rejects.toThrow('catalog busy')
  await campaign.put(cell('k1', 0.25))
  await campaign.put(cell('k1', 0.75))
  expect(await campaign.get('k1')).toMatchObject({ key: 'k1', value: 0.75 })

  // Delegation store: a submitted record with epoch-ms times reads back.
  const delegations = new SqlDelegationStore(sql, `${prefix}deleg`)
  await delegations.migrate()
  const submitted = await delegations.submit({ taskId: 't1', idempotencyKey: 'idem-1', profile: 'coder', args: { goal: 'x' }, createdAt: EPOCH_MS })
  expect(submitted.created).toBe(true)
  expect(await delegations.get('t1')).toMatchObject({ taskId: 't1', status: 'pending', createdAt: EPOCH_MS })
  expect((await delegations.submit({ taskId: 't2', idempotencyKey: 'idem-1', profile: 'coder', args: { goal: 'x' }, createdAt: EPOCH_MS })).created).toBe(false)

  // Conversation journal, chat replay store and run rows.
  const journal = new SqlConversationJournal(sql, `${prefix}journal`)
  await journal.migrate()
  await journal.beginRun('c1', '2026-12-01T00:00:00.000Z')
  const turn = { index: 0, speaker: 'a', text: 'hi', startedAt: '2026-12-01T00:00:00.000Z', endedAt: '2026-12-01T00:00:01.000Z' }
  await journal.appendTurn('c1', turn as never)
  expect((await journal.loadRun('c1'))?.turns).toHaveLength(1)

  const replay = createSqlChatTurnReplayStore({ sql, tablePrefix: `${prefix}chat_` })
  expect(await replay.begin('exec-1', 'attempt-1')).toEqual({ status: 'started' })
  expect(await replay.append('exec-1', 'attempt-1', [{ type: 'text', data: 'hi' }])).toBe(true)
  expect(await replay.complete('exec-1', 'attempt-1', { finalText: 'hi', persisted: true })).toBe(true)
  expect(await replay.begin('exec-1', 'attempt-2')).toEqual({ status: 'completed', events: [{ type: 'text', data: 'hi' }], finalText: 'hi' })

  const runs = createSqlRuntimeRunAdapter(sql, { table: `${prefix}runs` })
  await runs.migrate()
  const run = startRuntimeRun({ workspaceId: 'ws-1', taskSpec: { id: 'task-1', intent: 'seed' }, adapter: runs })
  run.complete({ status: 'completed', resultSummary: 'ok' })
  await run.persist()
  expect(await runs.listByWorkspace('ws-1')).toMatchObject([{ workspaceId: 'ws-1', status: 'completed', resultSummary: 'ok' }])
}

describe('SQL stores through a seed-shaped SqlAdapter (no dialect, exec → { rowsAffected })', () => {
  it('SQLite (better-sqlite3)', async () => {
    const db = new Database(':memory:')
    try {
      await exerciseStores(betterSqlite3ToSqlAdapter(db), 'seed_')
    } finally {
      db.close()
    }
  })

  const pool = createPgPool(2)
  afterAll(() => pool.end())

  it('PostgreSQL (pg)', async () => {
    const prefix = `${uniqueTablePrefix('seedst')}_`
    try {
      await exerciseStores(pgToSqlAdapter(pool), prefix)
    } finally {
      const { rows } = await pool.query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE tablename LIKE $1', [`${prefix}%`])
      for (const { tablename } of rows) await pool.query(`DROP TABLE IF EXISTS ${tablename}`)
    }
  }, 60_000)
})
