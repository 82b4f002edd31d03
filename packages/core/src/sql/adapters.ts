import { ValidationError } from '../errors.js'
import type { SqlAdapter } from '../contracts/sql.js'

/** The part of a better-sqlite3 `Database` the adapter uses. @stable */
export interface BetterSqlite3Like {
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number | bigint }
    all(...params: unknown[]): unknown[]
    readonly reader: boolean
  }
}

/**
 * Wraps a better-sqlite3 database as a {@link SqlAdapter}.
 * @stable
 * @example
 * const sql = betterSqlite3ToSqlAdapter(new Database('.agent-runtime/state.db'))
 */
export function betterSqlite3ToSqlAdapter(db: BetterSqlite3Like): SqlAdapter {
  if (!db || typeof db.prepare !== 'function') {
    throw new ValidationError('betterSqlite3ToSqlAdapter: expected a better-sqlite3 Database (an object with prepare()); pass `new Database(path)`.')
  }
  const bind = (params?: readonly unknown[]) => (params ?? []).map(toSqliteValue)
  return {
    dialect: 'sqlite',
    async exec(sql, params) {
      const stmt = db.prepare(sql)
      if (stmt.reader) {
        stmt.all(...bind(params))
        return { rowsAffected: 0, changes: 0 }
      }
      const changes = Number(stmt.run(...bind(params)).changes)
      return { rowsAffected: changes, changes }
    },
    async query<Row>(sql: string, params?: readonly unknown[]) {
      return db.prepare(sql).all(...bind(params)) as Row[]
    },
  }
}

function toSqliteValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v === undefined) return null
  return v
}

/** The part of a `pg` `Pool` or `Client` the adapter uses. @stable */
export interface PgQueryableLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>
}

/**
 * Translates `?` placeholders to PostgreSQL's `$1, $2, …`, leaving question
 * marks inside quoted strings, quoted identifiers and comments untouched.
 * @stable
 * @example
 * toPostgresPlaceholders("SELECT * FROM t WHERE a = ? AND b = '?'") // "… a = $1 AND b = '?'"
 */
export function toPostgresPlaceholders(sql: string): string {
  let out = ''
  let n = 0
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    if (c === "'" || c === '"') {
      const end = findQuoteEnd(sql, i, c)
      out += sql.slice(i, end)
      i = end
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i)
      const end = nl === -1 ? sql.length : nl
      out += sql.slice(i, end)
      i = end
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2)
      const end = close === -1 ? sql.length : close + 2
      out += sql.slice(i, end)
      i = end
    } else if (c === '?') {
      out += `$${++n}`
      i++
    } else {
      out += c
      i++
    }
  }
  return out
}

function findQuoteEnd(sql: string, start: number, quote: string): number {
  let i = start + 1
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) {
        i += 2
        continue
      }
      return i + 1
    }
    i++
  }
  return sql.length
}

/**
 * Wraps a node-postgres `Pool` or `Client` as a {@link SqlAdapter}; `?` placeholders become `$n`.
 * @stable
 * @example
 * const sql = pgToSqlAdapter(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 */
export function pgToSqlAdapter(pg: PgQueryableLike): SqlAdapter {
  if (!pg || typeof pg.query !== 'function') {
    throw new ValidationError('pgToSqlAdapter: expected a pg Pool or Client (an object with query()); pass `new pg.Pool({ connectionString })`.')
  }
  return {
    dialect: 'postgres',
    async exec(sql, params) {
      const res = await pg.query(toPostgresPlaceholders(sql), params ? [...params] : [])
      return { rowsAffected: res.rowCount ?? 0, changes: res.rowCount ?? 0 }
    },
    async query<Row>(sql: string, params?: readonly unknown[]) {
      const res = await pg.query(toPostgresPlaceholders(sql), params ? [...params] : [])
      return res.rows as Row[]
    },
  }
}

/** The part of a Cloudflare D1 prepared statement the adapter uses (seed name). @stable */
export interface D1StmtLike {
  bind(...values: unknown[]): {
    run(): Promise<{ meta?: { changes?: number } }>
    all<T = Record<string, unknown>>(): Promise<{ results?: T[] }>
  }
}

/** The part of a Cloudflare D1 database the adapter uses. @stable */
export interface D1DatabaseLike {
  prepare(sql: string): D1StmtLike
}

/**
 * Wraps a Cloudflare D1 database as a {@link SqlAdapter}.
 * @stable
 * @example
 * export default { fetch: (req: Request, env: { DB: D1DatabaseLike }) => handle(req, d1ToSqlAdapter(env.DB)) }
 */
export function d1ToSqlAdapter(d1: D1DatabaseLike): SqlAdapter {
  if (!d1 || typeof d1.prepare !== 'function') {
    throw new ValidationError('d1ToSqlAdapter: expected a D1 database binding (an object with prepare()); pass env.DB.')
  }
  const bind = (params?: readonly unknown[]) => (params ?? []).map(toSqliteValue)
  return {
    dialect: 'sqlite',
    async exec(sql, params) {
      const res = await d1.prepare(sql).bind(...bind(params)).run()
      return { rowsAffected: res.meta?.changes ?? 0, changes: res.meta?.changes ?? 0 }
    },
    async query<Row>(sql: string, params?: readonly unknown[]) {
      const res = await d1.prepare(sql).bind(...bind(params)).all<Row>()
      return res.results ?? []
    },
  }
}
