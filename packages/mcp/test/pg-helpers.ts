/** PostgreSQL setup for the MCP tests: one pool per file, unique table prefixes, cleanup. */
import pg from 'pg'

/** The test database; trust auth on loopback. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A table prefix no other test run uses. */
export function uniquePrefix(tag: string): string {
  return `t_i11a_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
}

/** Drops a delegation store's tables. */
export async function dropDelegationTables(pool: pg.Pool, prefix: string): Promise<void> {
  await pool.query(`DROP TABLE IF EXISTS ${prefix}_delegations`)
  await pool.query(`DROP TABLE IF EXISTS ${prefix}_feedback`)
}

/** A small pool against {@link DATABASE_URL}. */
export function createPool(max = 4): pg.Pool {
  return new pg.Pool({ connectionString: DATABASE_URL, max })
}
