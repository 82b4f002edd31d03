import { betterSqlite3ToSqlAdapter, pgToSqlAdapter } from '@tangle-network/agent-runtime'
import { createMemoryTraceStore, createSqlTraceStore } from '@tangle-network/agent-runtime/agent'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { describeTraceStoreConformance } from './trace-store.conformance.js'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const unique = (tag: string) => `i14_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`

describeTraceStoreConformance('memory', async () => {
  const store = createMemoryTraceStore()
  return { store, sibling: () => store, cleanup: async () => {} }
})

describeTraceStoreConformance('SQLite (better-sqlite3)', async () => {
  const db = new Database(':memory:')
  const store = createSqlTraceStore(betterSqlite3ToSqlAdapter(db), { tablePrefix: 'tr_' })
  await store.migrate()
  return { store, sibling: () => createSqlTraceStore(betterSqlite3ToSqlAdapter(db), { tablePrefix: 'tr_' }), cleanup: async () => void db.close() }
})

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
afterAll(() => pool.end())

describeTraceStoreConformance('PostgreSQL (pg)', async () => {
  const prefix = unique('tr')
  const store = createSqlTraceStore(pgToSqlAdapter(pool), { tablePrefix: prefix })
  await store.migrate()
  await store.migrate() // idempotent
  return {
    store,
    sibling: () => createSqlTraceStore(pgToSqlAdapter(pool), { tablePrefix: prefix }),
    cleanup: async () => {
      for (const t of ['runs', 'events', 'outcomes']) await pool.query(`DROP TABLE IF EXISTS ${prefix}${t}`)
    },
  }
})

describe('createSqlTraceStore', () => {
  it('rejects a table prefix that is not an identifier', () => {
    expect(() => createSqlTraceStore(betterSqlite3ToSqlAdapter(new Database(':memory:')), { tablePrefix: 'x; DROP' })).toThrow(/tablePrefix/)
  })
})
