/**
 * Opens the bin's delegation store: PostgreSQL when `DATABASE_URL` is set,
 * else a SQLite file (`AGENT_RUNTIME_DELEGATION_DB`, default
 * `.agent-runtime/delegations.db` under the working directory). Node only.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { betterSqlite3ToSqlAdapter, pgToSqlAdapter } from '@tangle-network/agent-runtime-core'
import { SqlDelegationStore } from './sql.js'

/** Default SQLite file of the bin, relative to the working directory. @experimental */
export const DEFAULT_DELEGATION_DB = '.agent-runtime/delegations.db'

/** A store the bin opened, and a human description for the startup line. @experimental */
export interface OpenedDelegationStore {
  store: SqlDelegationStore
  /** `sqlite:<path>` or `postgres:<host>/<db>` (never the password). */
  describe: string
}

/** Options of {@link openDelegationStore}. @experimental */
export interface OpenDelegationStoreOptions {
  /** Environment to read; default `process.env`. */
  env?: Record<string, string | undefined>
  /** Directory a relative SQLite path resolves against; default `process.cwd()`. */
  cwd?: string
  /** Table prefix; default `agent_runtime`. */
  tablePrefix?: string
}

/**
 * Opens and migrates the delegation store the environment names.
 * @experimental
 * @example
 * const { store, describe } = await openDelegationStore({ env: process.env })
 */
export async function openDelegationStore(options: OpenDelegationStoreOptions = {}): Promise<OpenedDelegationStore> {
  const env = options.env ?? process.env
  const prefix = options.tablePrefix ?? 'agent_runtime'
  const url = env.DATABASE_URL?.trim()
  if (url) {
    // Drivers load only when used, so importing this package needs neither.
    const { default: pg } = await import('pg')
    const pool = new pg.Pool({ connectionString: url, max: 4 })
    const store = new SqlDelegationStore(pgToSqlAdapter(pool), prefix, { onClose: () => pool.end() })
    try {
      await store.migrate()
    } catch (err) {
      await pool.end().catch(() => {})
      throw err
    }
    let where = 'postgres'
    try {
      const u = new URL(url)
      where = `postgres:${u.host}${u.pathname}`
    } catch {}
    return { store, describe: where }
  }
  const file = path.resolve(options.cwd ?? process.cwd(), env.AGENT_RUNTIME_DELEGATION_DB?.trim() || DEFAULT_DELEGATION_DB)
  mkdirSync(path.dirname(file), { recursive: true })
  const { default: Database } = await import('better-sqlite3')
  const db = new Database(file)
  const store = new SqlDelegationStore(betterSqlite3ToSqlAdapter(db), prefix, {
    onClose: () => {
      db.close()
    },
  })
  try {
    // WAL keeps readers off the writer's back; a restart sees every committed row.
    db.pragma('journal_mode = WAL')
    db.pragma('busy_timeout = 5000')
    await store.migrate()
  } catch (err) {
    // A file we cannot set up (not a database, read-only, locked) must not leave its handle open.
    db.close()
    throw err
  }
  return { store, describe: `sqlite:${file}` }
}
