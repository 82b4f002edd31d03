import {
  betterSqlite3ToSqlAdapter,
  createMemoryChatTurnReplayStore,
  createSqlChatTurnReplayStore,
  pgToSqlAdapter,
} from '@tangle-network/agent-runtime-core'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { connectPgClient, uniqueTablePrefix } from '../../../../test/support/pg.js'
import { describeReplayStoreConformance } from '../../test/support/replay-store.conformance.js'

describeReplayStoreConformance('memory', async (options) => {
  const store = createMemoryChatTurnReplayStore(options)
  return { store, sibling: () => store, cleanup: async () => {} }
})

describeReplayStoreConformance('SQLite (better-sqlite3)', async (options) => {
  const db = new Database(':memory:')
  const sql = betterSqlite3ToSqlAdapter(db)
  const store = createSqlChatTurnReplayStore({ sql, ...options })
  return {
    store,
    sibling: () => createSqlChatTurnReplayStore({ sql, ...options }),
    cleanup: async () => void db.close(),
  }
})

describeReplayStoreConformance('PostgreSQL (pg)', async (options) => {
  const tablePrefix = `${uniqueTablePrefix('chat_replay')}_`
  // One connection per store instance, so concurrent begins really race in the server.
  const clients = await Promise.all([connectPgClient(), connectPgClient(), connectPgClient()])
  const open = (i: number) => createSqlChatTurnReplayStore({ sql: pgToSqlAdapter(clients[i]!), tablePrefix, ...options })
  const store = open(0)
  await store.migrate()
  let next = 0
  return {
    store,
    sibling: () => open(1 + (next++ % 2)),
    cleanup: async () => {
      await clients[0]!.query(`DROP TABLE IF EXISTS ${tablePrefix}chat_execution_events`)
      await clients[0]!.query(`DROP TABLE IF EXISTS ${tablePrefix}chat_executions`)
      await Promise.all(clients.map((c) => c.end()))
    },
  }
})

describe('replay store options', () => {
  it('rejects a non-positive inFlightTimeoutMs', () => {
    expect(() => createMemoryChatTurnReplayStore({ inFlightTimeoutMs: 0 })).toThrowError(
      expect.objectContaining({ name: 'ValidationError', code: 'validation', message: expect.stringContaining('inFlightTimeoutMs must be a positive number') }),
    )
    expect(() => createSqlChatTurnReplayStore({ sql: betterSqlite3ToSqlAdapter(new Database(':memory:')), inFlightTimeoutMs: Number.NaN })).toThrowError(
      /inFlightTimeoutMs must be a positive number of milliseconds, got null/,
    )
  })

  it('rejects a table prefix that is not a plain identifier', () => {
    const sql = betterSqlite3ToSqlAdapter(new Database(':memory:'))
    expect(() => createSqlChatTurnReplayStore({ sql, tablePrefix: 'x; DROP TABLE users; --' })).toThrowError(
      expect.objectContaining({ code: 'validation', message: expect.stringContaining('tablePrefix must be letters, digits and underscores') }),
    )
  })

  it('rejects something that is not a SqlAdapter', () => {
    expect(() => createSqlChatTurnReplayStore({ sql: {} as never })).toThrowError(
      expect.objectContaining({ code: 'validation', message: expect.stringContaining('options.sql must be a SqlAdapter') }),
    )
  })

  it('creates its tables once and reuses existing ones', async () => {
    const db = new Database(':memory:')
    const sql = betterSqlite3ToSqlAdapter(db)
    const first = createSqlChatTurnReplayStore({ sql, tablePrefix: 'app_' })
    await first.migrate()
    await first.migrate()
    await first.begin('x', 'a')
    const second = createSqlChatTurnReplayStore({ sql, tablePrefix: 'app_' })
    expect(await second.begin('x', 'b')).toEqual({ status: 'in_flight' })
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'app_%' ORDER BY name`).all()
    expect(tables).toEqual([{ name: 'app_chat_execution_events' }, { name: 'app_chat_executions' }])
  })
})
