import { betterSqlite3ToSqlAdapter, pgToSqlAdapter } from '@tangle-network/agent-runtime'
import { type AnalystFinding, createMemoryFindingsStore, createSqlFindingsStore, type FindingsStore } from '@tangle-network/agent-runtime/analyst-loop'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

type Harness = { store: FindingsStore; sibling(): FindingsStore; cleanup(): Promise<void> }

const finding = (id: string, extra: Partial<AnalystFinding> = {}): AnalystFinding => ({
  finding_id: id,
  analyst_id: 'a',
  severity: 'high',
  area: 'error:TimeoutError',
  claim: `claim ${id} ✓ "quoted"`,
  evidence_refs: [{ kind: 'run', uri: 'trace://r1' }],
  confidence: 0.875,
  ...extra,
})

/** The one behaviour spec every FindingsStore meets. */
function describeFindingsStoreConformance(name: string, open: () => Promise<Harness>) {
  describe(`FindingsStore conformance: ${name}`, () => {
    const opened: Harness[] = []
    const make = async () => {
      const h = await open()
      opened.push(h)
      return h
    }
    afterEach(async () => {
      for (const h of opened.splice(0)) await h.cleanup()
    })

    it('saves and lists a run\'s findings in order, every field intact', async () => {
      const { store, sibling } = await make()
      const list = [finding('f2', { recommended_action: 'retry', subject: 'tool/x' }), finding('f1', { severity: 'low', confidence: 0 })]
      await store.save('run-1', list, { createdAt: 10 })
      expect(await sibling().list('run-1')).toEqual(list)
      expect(await sibling().list('nope')).toEqual([])
    })

    it('replaces a run\'s findings on a second save', async () => {
      const { store } = await make()
      await store.save('r', [finding('a'), finding('b')], { createdAt: 1 })
      await store.save('r', [finding('c')], { createdAt: 2 })
      expect((await store.list('r')).map((f) => f.finding_id)).toEqual(['c'])
      expect(await store.listRuns()).toEqual([{ runId: 'r', createdAt: 2, count: 1 }])
    })

    it('lists runs by time and finds the latest other run', async () => {
      const { store, sibling } = await make()
      expect(await store.latestRunId()).toBeNull()
      await store.save('b', [finding('x')], { createdAt: 20 })
      await store.save('a', [], { createdAt: 10 })
      await store.save('c', [finding('x'), finding('y')], { createdAt: 20 })
      const other = sibling()
      expect(await other.listRuns()).toEqual([
        { runId: 'a', createdAt: 10, count: 0 },
        { runId: 'b', createdAt: 20, count: 1 },
        { runId: 'c', createdAt: 20, count: 2 },
      ])
      expect(await other.latestRunId()).toBe('c')
      expect(await other.latestRunId({ excluding: 'c' })).toBe('b')
    })

    it('rejects a blank run id', async () => {
      const { store } = await make()
      await expect(store.save('', [], { createdAt: 1 })).rejects.toMatchObject({ code: 'validation' })
    })
  })
}

describeFindingsStoreConformance('memory', async () => {
  const store = createMemoryFindingsStore()
  return { store, sibling: () => store, cleanup: async () => {} }
})

describeFindingsStoreConformance('SQLite (better-sqlite3)', async () => {
  const db = new Database(':memory:')
  const store = createSqlFindingsStore(betterSqlite3ToSqlAdapter(db))
  await store.migrate()
  return { store, sibling: () => createSqlFindingsStore(betterSqlite3ToSqlAdapter(db)), cleanup: async () => void db.close() }
})

const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 })
afterAll(() => pool.end())

describeFindingsStoreConformance('PostgreSQL (pg)', async () => {
  const prefix = `i14_fs_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`
  const store = createSqlFindingsStore(pgToSqlAdapter(pool), { tablePrefix: prefix })
  await store.migrate()
  await store.migrate()
  return {
    store,
    sibling: () => createSqlFindingsStore(pgToSqlAdapter(pool), { tablePrefix: prefix }),
    cleanup: async () => {
      await pool.query(`DROP TABLE IF EXISTS ${prefix}items`)
      await pool.query(`DROP TABLE IF EXISTS ${prefix}runs`)
    },
  }
})
