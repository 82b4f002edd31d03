/**
 * Test helper (not shipped): opens node-postgres clients for the PostgreSQL
 * tests. `pg`'s root entry is loaded through `pg/lib/client.js` because the
 * test runner passes `--conditions import` to Node, which makes `pg`'s
 * internal `require('pg-pool')` return an ES module namespace and crash.
 */
import type { Client as PgClient } from 'pg'

/** The PostgreSQL the tests use: `DATABASE_URL`, else the local trust-auth server. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** Connects a new client to {@link TEST_DATABASE_URL}. */
export async function connectPgClient(): Promise<PgClient> {
  const specifier = 'pg/lib/client.js'
  const { default: Client } = (await import(specifier)) as { default: typeof PgClient }
  const client = new Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  return client
}

/** A unique table prefix so parallel test files never share tables. */
export function uniqueTablePrefix(tag: string): string {
  return `t_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}_`
}
