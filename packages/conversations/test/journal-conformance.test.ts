import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  InMemoryConversationJournal,
  SqlConversationJournal,
  betterSqlite3ToSqlAdapter,
  pgToSqlAdapter,
} from '@tangle-network/agent-runtime-conversations'
import { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
import { afterAll } from 'vitest'
import { describeJournalConformance } from './journal-conformance.js'
import { createPgPool, dropTables, uniqueTablePrefix } from '../../../test/support/pg.js'

describeJournalConformance('memory', async () => ({ journal: new InMemoryConversationJournal(), cleanup: async () => {} }))

describeJournalConformance('file (JSONL)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conv-journal-'))
  const path = join(dir, 'journal.jsonl')
  const opened: FileConversationJournal[] = [new FileConversationJournal(path)]
  return {
    journal: opened[0]!,
    reopen: async () => {
      const j = new FileConversationJournal(path)
      opened.push(j)
      return j
    },
    cleanup: async () => {
      for (const j of opened) await j.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})

describeJournalConformance('SQLite (better-sqlite3)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conv-journal-'))
  const path = join(dir, 'journal.db')
  const dbs = [new Database(path)]
  const journal = new SqlConversationJournal(betterSqlite3ToSqlAdapter(dbs[0]!), 'conv')
  await journal.migrate()
  return {
    journal,
    reopen: async () => {
      const db = new Database(path)
      dbs.push(db)
      return new SqlConversationJournal(betterSqlite3ToSqlAdapter(db), 'conv')
    },
    cleanup: async () => {
      for (const db of dbs) db.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})

const pool = createPgPool()
afterAll(async () => {
  await pool.end()
})

describeJournalConformance('PostgreSQL (pg)', async () => {
  const prefix = uniqueTablePrefix('conf')
  const journal = new SqlConversationJournal(pgToSqlAdapter(pool), prefix)
  await journal.migrate()
  return {
    journal,
    reopen: async () => new SqlConversationJournal(pgToSqlAdapter(pool), prefix),
    cleanup: () => dropTables(pool, `${prefix}_turns`, `${prefix}_runs`),
  }
})
