/**
 * The one PostgreSQL setup of every test and bench in the repo: the database,
 * unique table prefixes so parallel runs never share tables, and clients.
 */
import { randomBase36 } from '@tangle-network/agent-runtime-core'
import pg from 'pg'

/** The test database: `DATABASE_URL`, else the local trust-auth server. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A table prefix no other test run uses (`t_<tag>_<pid>_<random>`), safe in SQL identifiers. */
export function uniqueTablePrefix(tag: string): string {
  return `t_${tag}_${process.pid}_${randomBase36(6)}`
}

/** Connects a new client to {@link DATABASE_URL}. */
export async function connectPgClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: DATABASE_URL })
  await client.connect()
  return client
}

/** A small pool against {@link DATABASE_URL}. */
export function createPgPool(max = 4, options: Omit<pg.PoolConfig, 'connectionString' | 'max'> = {}): pg.Pool {
  return new pg.Pool({ connectionString: DATABASE_URL, max, ...options })
}

/** Drops the given tables if they exist. */
export async function dropTables(db: pg.Pool | pg.Client, ...tables: string[]): Promise<void> {
  for (const table of tables) await db.query(`DROP TABLE IF EXISTS ${table}`)
}
