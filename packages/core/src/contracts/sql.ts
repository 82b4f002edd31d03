/**
 * What {@link SqlAdapter.exec} resolves with: the number of rows the statement
 * changed. The seed shape names it `rowsAffected`; `changes` is accepted too
 * (better-sqlite3's name), so either kind of hand-written adapter works.
 * @stable
 */
export interface SqlExecResult {
  rowsAffected?: number
  changes?: number
}

/** The two SQL dialects the stores speak. @stable */
export type SqlDialect = 'sqlite' | 'postgres'

/**
 * The one SQL surface every store is written against. Statements use `?`
 * placeholders; adapters translate for their driver (PostgreSQL gets `$n`).
 * @stable
 */
export interface SqlAdapter {
  /** Runs a statement that returns no rows; resolves with the number of rows changed. */
  exec(sql: string, params?: readonly unknown[]): Promise<SqlExecResult>
  /** Runs a query and resolves with its rows as plain objects. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>
  /**
   * SQL dialect, for the few statements that differ (column types). Optional:
   * when absent the stores ask the database once (`sqlite_version()` or `version()`).
   */
  readonly dialect?: SqlDialect
}
