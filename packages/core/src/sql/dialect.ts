import type { SqlAdapter, SqlDialect, SqlExecResult } from '../contracts/sql.js'
import { ConfigError, errorMessage } from '../errors.js'

/**
 * Rows changed by a statement, from either field an adapter may use
 * (`rowsAffected` in the seed shape, `changes` in better-sqlite3's).
 * @stable
 * @example
 * if (rowsAffected(await sql.exec('UPDATE t SET a = 1 WHERE id = ?', [id])) === 0) throw new NotFoundError(id)
 */
export function rowsAffected(result: SqlExecResult | null | undefined): number {
  const n = result?.rowsAffected ?? result?.changes
  return typeof n === 'number' && Number.isFinite(n) ? n : Number(n ?? 0)
}

const detected = new WeakMap<SqlAdapter, Promise<SqlDialect>>()

/**
 * The adapter's dialect: its `dialect` field, else asked of the database once
 * (SQLite and D1 answer `sqlite_version()`, PostgreSQL answers `version()`).
 * @stable
 * @example
 * const { bigint } = sqlColumnTypes(await sqlDialect(sql))
 */
export function sqlDialect(sql: SqlAdapter): Promise<SqlDialect> {
  if (sql.dialect === 'sqlite' || sql.dialect === 'postgres') return Promise.resolve(sql.dialect)
  let found = detected.get(sql)
  if (!found) {
    found = probe(sql)
    detected.set(sql, found)
    found.catch(() => detected.delete(sql))
  }
  return found
}

async function probe(sql: SqlAdapter): Promise<SqlDialect> {
  let sqliteError: unknown
  try {
    await sql.query('SELECT sqlite_version() AS v')
    return 'sqlite'
  } catch (err) {
    sqliteError = err
  }
  try {
    const rows = await sql.query<{ v?: unknown }>('SELECT version() AS v')
    if (/postgres/i.test(String(rows[0]?.v ?? ''))) return 'postgres'
  } catch {
    // Neither probe answered: reported below.
  }
  throw new ConfigError(
    `SqlAdapter: could not tell whether the database is SQLite or PostgreSQL (sqlite_version() failed: ${errorMessage(sqliteError)}); set dialect: 'sqlite' or 'postgres' on the adapter.`,
    { cause: sqliteError },
  )
}
