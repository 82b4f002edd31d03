import { ValidationError } from '../errors.js'
import { fnv1a32 } from '../util/hash.js'
import type { SqlAdapter } from '../contracts/sql.js'

/** The part of a better-sqlite3 `Database` the adapter uses. @stable */
export interface BetterSqlite3Like {
  prepare(sql: string): {
    run(...params: unknown[]): { changes: number | bigint }
    all(...params: unknown[]): unknown[]
    readonly reader: boolean
  }
}

/** Prepared statements kept per adapter; the oldest is dropped beyond this. */
const STATEMENT_CACHE_SIZE = 256

/**
 * Wraps a better-sqlite3 database as a {@link SqlAdapter}. Each distinct SQL
 * text is prepared once and reused (up to 256 statements, oldest dropped
 * first): preparing costs more than running a small statement.
 * @stable
 * @example
 * const sql = betterSqlite3ToSqlAdapter(new Database('.agent-runtime/state.db'))
 */
export function betterSqlite3ToSqlAdapter(db: BetterSqlite3Like): SqlAdapter {
  if (!db || typeof db.prepare !== 'function') {
    throw new ValidationError('betterSqlite3ToSqlAdapter: expected a better-sqlite3 Database (an object with prepare()); pass `new Database(path)`.')
  }
  const bind = (params?: readonly unknown[]) => (params ?? []).map(toSqliteValue)
  const statements = new Map<string, ReturnType<BetterSqlite3Like['prepare']>>()
  const prepare = (sql: string) => {
    let stmt = statements.get(sql)
    if (stmt === undefined) {
      stmt = db.prepare(sql)
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!)
      statements.set(sql, stmt)
    }
    return stmt
  }
  return {
    dialect: 'sqlite',
    async exec(sql, params) {
      const stmt = prepare(sql)
      if (stmt.reader) {
        stmt.all(...bind(params))
        return { rowsAffected: 0, changes: 0 }
      }
      const changes = Number(stmt.run(...bind(params)).changes)
      return { rowsAffected: changes, changes }
    },
    async query<Row>(sql: string, params?: readonly unknown[]) {
      return prepare(sql).all(...bind(params)) as Row[]
    },
  }
}

function toSqliteValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v === undefined) return null
  return v
}

/** The part of a `pg` `Pool` or `Client` the adapter uses (`query(text, values)`, or a `{name, text, values}` config). @stable */
export interface PgQueryableLike {
  query(text: string | { name?: string; text: string; values?: unknown[] }, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>
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
 * The name of the prepared statement for `text`: derived from the text alone
 * (two 32-bit hashes and the length), so adapters sharing a pool agree on it
 * and never give one name two texts.
 */
function statementName(text: string): string {
  let reversed = ''
  for (let i = text.length - 1; i >= 0; i--) reversed += text[i]
  return `ar_${fnv1a32(text)}${fnv1a32(reversed)}_${text.length}`
}

/**
 * Wraps a node-postgres `Pool` or `Client` as a {@link SqlAdapter}; `?`
 * placeholders become `$n`. Statements with parameters run as named prepared
 * statements, so PostgreSQL parses and plans each once per connection rather
 * than on every call; statements without parameters (DDL) run unnamed.
 * @stable
 * @example
 * const sql = pgToSqlAdapter(new pg.Pool({ connectionString: process.env.DATABASE_URL }))
 */
export function pgToSqlAdapter(pg: PgQueryableLike): SqlAdapter {
  if (!pg || typeof pg.query !== 'function') {
    throw new ValidationError('pgToSqlAdapter: expected a pg Pool or Client (an object with query()); pass `new pg.Pool({ connectionString })`.')
  }
  const translated = new Map<string, { text: string; name: string }>()
  const run = (sql: string, params?: readonly unknown[]) => {
    let entry = translated.get(sql)
    if (entry === undefined) {
      const text = toPostgresPlaceholders(sql)
      entry = { text, name: statementName(text) }
      if (translated.size >= STATEMENT_CACHE_SIZE) translated.delete(translated.keys().next().value!)
      translated.set(sql, entry)
    }
    if (!params || params.length === 0) return pg.query(entry.text, [])
    return pg.query({ name: entry.name, text: entry.text, values: [...params] })
  }
  return {
    dialect: 'postgres',
    async exec(sql, params) {
      const res = await run(sql, params)
      return { rowsAffected: res.rowCount ?? 0, changes: res.rowCount ?? 0 }
    },
    async query<Row>(sql: string, params?: readonly unknown[]) {
      const res = await run(sql, params)
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
