/** Test helper (not shipped): opens node-postgres clients for the PostgreSQL tests. */
import pg from 'pg'

/** The PostgreSQL the tests use: `DATABASE_URL`, else the local trust-auth server. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Connects a new client to {@link TEST_DATABASE_URL}. */
export async function connectPgClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  return client
}

/** A unique table prefix so parallel test files never share tables. */
export function uniqueTablePrefix(tag: string): string {
  return `t_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`
}
