import { appendFileSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { betterSqlite3ToSqlAdapter, pgToSqlAdapter } from '@tangle-network/agent-runtime'
import { createMemoryCampaignStorage, createSqlCampaignStorage } from '@tangle-network/agent-runtime/improvement'
import { createJsonlCampaignStorage } from '@tangle-network/agent-runtime/improvement/node'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'
import { campaignStorageConformance, cell } from './storage-conformance.js'

let dir = ''
beforeAll(async () => {
  dir = await tempDir('storage')
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('memory', () => {
  const shared = createMemoryCampaignStorage()
  campaignStorageConformance('memory', async () => shared)
})

describe('JSON lines under runDir', () => {
  campaignStorageConformance('jsonl', () => createJsonlCampaignStorage({ runDir: join(dir, 'jsonl') }))

  it('cuts off a line torn by a kill mid-write, so the file stays one valid record per line', async () => {
    const runDir = join(dir, 'torn')
    const s1 = await createJsonlCampaignStorage({ runDir })
    await s1.put(cell('t', 's1', 0, 1))
    await s1.close?.()
    appendFileSync(s1.path, '{"key":"t:42:s2:0","surfaceHash":"t","se')
    const s2 = await createJsonlCampaignStorage({ runDir })
    expect(await s2.get(cell('t', 's1', 0, 1).key)).toEqual(cell('t', 's1', 0, 1))
    expect(await s2.get(cell('t', 's2', 0, 1).key)).toBeUndefined()
    await s2.put(cell('t', 's2', 0, 0.5))
    await s2.close?.()
    const s3 = await createJsonlCampaignStorage({ runDir })
    expect(await s3.get(cell('t', 's2', 0, 0.5).key)).toEqual(cell('t', 's2', 0, 0.5))
    const lines = readFileSync(s1.path, 'utf8').split('\n').filter(Boolean)
    expect(lines.map((l) => JSON.parse(l).key)).toEqual([cell('t', 's1', 0, 1).key, cell('t', 's2', 0, 1).key])
  })

  it('refuses a corrupt line that is not the last, naming the file and line', async () => {
    const runDir = join(dir, 'corrupt')
    const s1 = await createJsonlCampaignStorage({ runDir })
    await s1.close?.()
    appendFileSync(s1.path, 'not json\n{"key":1}\n')
    await expect(createJsonlCampaignStorage({ runDir })).rejects.toThrow(/cells\.jsonl:1: not valid JSON/)
  })
})

describe('SQLite (better-sqlite3)', () => {
  const path = () => join(dir, 'campaign.db')
  const open: Database.Database[] = []
  afterAll(() => {
    for (const db of open) db.close()
  })
  campaignStorageConformance('sqlite', async () => {
    const db = new Database(path())
    open.push(db)
    return createSqlCampaignStorage(betterSqlite3ToSqlAdapter(db), { table: 'i13_cells' })
  })
})

describe('PostgreSQL (pg)', () => {
  const table = `i13_cells_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 2 })
  afterAll(async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`)
    await pool.end()
  })
  campaignStorageConformance('postgres', async () => createSqlCampaignStorage(pgToSqlAdapter(pool), { table }))

  it('rejects a table name that is not a plain identifier', () => {
    expect(() => createSqlCampaignStorage(pgToSqlAdapter(pool), { table: 'x; DROP TABLE y' })).toThrow(/not a plain SQL identifier/)
  })
})
