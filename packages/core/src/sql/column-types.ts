import type { SqlDialect } from '../contracts/sql.js'

/** Column type names a store needs, spelled for one dialect. @stable */
export interface SqlColumnTypes {
  /** 64-bit integer: epoch-ms timestamps and token counts (PostgreSQL's INTEGER is 32-bit). */
  bigint: string
  /** Double-precision float: costs and scores (PostgreSQL's REAL is float4). */
  double: string
  /** Auto-incrementing integer primary key column definition. */
  serialPrimaryKey: string
}

const TYPES: Record<SqlDialect, SqlColumnTypes> = {
  sqlite: { bigint: 'INTEGER', double: 'REAL', serialPrimaryKey: 'INTEGER PRIMARY KEY AUTOINCREMENT' },
  postgres: { bigint: 'BIGINT', double: 'DOUBLE PRECISION', serialPrimaryKey: 'BIGSERIAL PRIMARY KEY' },
}

/**
 * The column types every SQL store uses for a dialect, so epoch-ms and costs
 * keep full range on PostgreSQL. Resolve the dialect with `sqlDialect(sql)` first.
 * @stable
 * @example
 * const { bigint, double } = sqlColumnTypes(await sqlDialect(sql))
 */
export function sqlColumnTypes(dialect: SqlDialect): SqlColumnTypes {
  return TYPES[dialect]
}
