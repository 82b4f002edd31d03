/**
 * The one SQL surface every store is written against. Statements use `?`
 * placeholders; adapters translate for their driver (PostgreSQL gets `$n`).
 * @stable
 */
export interface SqlAdapter {
  /** Runs a statement that returns no rows; resolves with the number of rows changed. */
  exec(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>
  /** Runs a query and resolves with its rows as plain objects. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>
  /** SQL dialect, for the few statements that differ (upserts, types). */
  readonly dialect: 'sqlite' | 'postgres'
}
