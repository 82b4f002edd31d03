import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { betterSqlite3ToSqlAdapter, pgToSqlAdapter } from '@tangle-network/agent-runtime-core'
import { InMemoryDelegationStore, SqlDelegationStore } from '@tangle-network/agent-runtime-mcp'
import Database from 'better-sqlite3'
import { afterAll } from 'vitest'
import { createPool, dropDelegationTables, uniquePrefix } from './pg-helpers.js'
import { describeDelegationStoreConformance } from './store-conformance.js'

describeDelegationStoreConformance('memory', async () => ({ store: new InMemoryDelegationStore(), cleanup: async () => {} }), { durable: false })

describeDelegationStoreConformance(
  'SQLite (better-sqlite3)',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dlg-store-'))
    const path = join(dir, 'delegations.db')
    const dbs = [new Database(path)]
    return {
      store: new SqlDelegationStore(betterSqlite3ToSqlAdapter(dbs[0]!)),
      reopen: async () => {
        const db = new Database(path)
        dbs.push(db)
        return new SqlDelegationStore(betterSqlite3ToSqlAdapter(db))
      },
      cleanup: async () => {
        for (const db of dbs) db.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  },
  { durable: true },
)

const pool = createPool()
afterAll(async () => {
  await pool.end()
})

describeDelegationStoreConformance(
  'PostgreSQL (pg)',
  async () => {
    const prefix = uniquePrefix('dlgconf')
    return {
      store: new SqlDelegationStore(pgToSqlAdapter(pool), prefix),
      reopen: async () => new SqlDelegationStore(pgToSqlAdapter(pool), prefix),
      cleanup: () => dropDelegationTables(pool, prefix),
    }
  },
  { durable: true },
)
