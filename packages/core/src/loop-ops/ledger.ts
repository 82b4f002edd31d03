import type { SqlAdapter } from '../contracts/sql.js'
import { ValidationError } from '../errors.js'
import { sqlColumnTypes } from '../sql/column-types.js'
import { rowsAffected, sqlDialect } from '../sql/dialect.js'

/** Spend of one scope on one day. @experimental */
export interface LedgerTotals {
  tokens: number
  costUsd: number
}

/** A reservation request: add `amount` to the day's spend only if the result stays within the caps. @experimental */
export interface LedgerReservation {
  scope: string
  day: string
  tokens: number
  costUsd: number
  capTokens?: number
  capCostUsd?: number
}

/**
 * Where a budget breaker keeps each day's spend, shared by every process that
 * runs the same loops. Written once over {@link SqlAdapter} (SQLite,
 * PostgreSQL, D1) plus memory; `reserve` is one conditional statement, so two
 * processes racing for the last of a cap cannot both win.
 * @experimental
 */
export interface BudgetLedger {
  /** Atomically adds the amount when the day's spend plus it stays within the caps; false (nothing added) otherwise. */
  reserve(request: LedgerReservation): Promise<boolean>
  /** Adds (or, negative, returns) spend unconditionally: actual usage beyond a reservation, or an unused remainder. */
  adjust(scope: string, day: string, delta: LedgerTotals): Promise<void>
  /** The day's spend of a scope (zero when nothing was recorded). */
  totals(scope: string, day: string): Promise<LedgerTotals>
  /** The most a single unit of work (iteration or tick) has spent in this scope on any day; the estimate of the next. */
  peak(scope: string): Promise<LedgerTotals>
  /** Raises the scope's peak to at least `unit`. */
  notePeak(scope: string, unit: LedgerTotals): Promise<void>
}

/**
 * A {@link BudgetLedger} in memory (tests, single process).
 * @experimental
 * @example
 * const breaker = createBudgetBreaker({ ledger: createMemoryBudgetLedger(), dailyTokenCap: 100_000 })
 */
export function createMemoryBudgetLedger(): BudgetLedger {
  const days = new Map<string, LedgerTotals>()
  const peaks = new Map<string, LedgerTotals>()
  const key = (scope: string, day: string) => `${scope}\u0000${day}`
  const get = (scope: string, day: string) => days.get(key(scope, day)) ?? { tokens: 0, costUsd: 0 }
  return {
    async reserve(r) {
      const cur = get(r.scope, r.day)
      if (r.capTokens !== undefined && cur.tokens + r.tokens > r.capTokens) return false
      if (r.capCostUsd !== undefined && cur.costUsd + r.costUsd > r.capCostUsd) return false
      days.set(key(r.scope, r.day), { tokens: cur.tokens + r.tokens, costUsd: cur.costUsd + r.costUsd })
      return true
    },
    async adjust(scope, day, delta) {
      const cur = get(scope, day)
      days.set(key(scope, day), { tokens: cur.tokens + delta.tokens, costUsd: cur.costUsd + delta.costUsd })
    },
    async totals(scope, day) {
      return { ...get(scope, day) }
    },
    async peak(scope) {
      return { ...(peaks.get(scope) ?? { tokens: 0, costUsd: 0 }) }
    },
    async notePeak(scope, unit) {
      const cur = peaks.get(scope) ?? { tokens: 0, costUsd: 0 }
      peaks.set(scope, { tokens: Math.max(cur.tokens, unit.tokens), costUsd: Math.max(cur.costUsd, unit.costUsd) })
    },
  }
}

/** Options of {@link createSqlBudgetLedger}. @experimental */
export interface SqlBudgetLedgerOptions {
  /** Table name (letters, digits, underscore). Default `agent_runtime_budget_ledger`. */
  table?: string
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0))

/**
 * A {@link BudgetLedger} over any {@link SqlAdapter}: one row per scope and
 * day, created on first use. A reservation is a single `UPDATE … WHERE spend +
 * amount <= cap`, atomic on SQLite and PostgreSQL alike.
 * @experimental
 * @example
 * const ledger = createSqlBudgetLedger(betterSqlite3ToSqlAdapter(new Database('.agent-runtime/ledger.db')))
 */
export function createSqlBudgetLedger(sql: SqlAdapter, options: SqlBudgetLedgerOptions = {}): BudgetLedger {
  const table = options.table ?? 'agent_runtime_budget_ledger'
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) throw new ValidationError(`createSqlBudgetLedger: table must be letters, digits and underscores, got ${JSON.stringify(table)}`)
  let ready: Promise<void> | undefined
  const ensure = (): Promise<void> => {
    const create = async () => {
      const { bigint, double } = sqlColumnTypes(await sqlDialect(sql))
      await sql.exec(
        `CREATE TABLE IF NOT EXISTS ${table} (scope TEXT NOT NULL, day TEXT NOT NULL, tokens ${bigint} NOT NULL DEFAULT 0, cost_usd ${double} NOT NULL DEFAULT 0, PRIMARY KEY (scope, day))`,
      )
    }
    // Two processes creating the table at once can collide on PostgreSQL's catalog; the second try sees the table.
    ready ??= create()
      .catch(() => create())
      .then(() => undefined).catch((err) => {
      ready = undefined
      throw err
    })
    return ready
  }
  const ensureRow = (scope: string, day: string) =>
    sql.exec(`INSERT INTO ${table} (scope, day, tokens, cost_usd) VALUES (?, ?, 0, 0) ON CONFLICT (scope, day) DO NOTHING`, [scope, day])
  // Peaks live in the same table under a reserved day key, so one table holds the whole ledger.
  const PEAK_DAY = 'peak'
  return {
    async reserve(r) {
      await ensure()
      await ensureRow(r.scope, r.day)
      const conds: string[] = []
      const params: unknown[] = [Math.round(r.tokens), r.costUsd, r.scope, r.day]
      if (r.capTokens !== undefined) {
        conds.push('tokens + ? <= ?')
        params.push(Math.round(r.tokens), r.capTokens)
      }
      if (r.capCostUsd !== undefined) {
        conds.push('cost_usd + ? <= ?')
        params.push(r.costUsd, r.capCostUsd)
      }
      const where = conds.length ? ` AND ${conds.join(' AND ')}` : ''
      const result = await sql.exec(`UPDATE ${table} SET tokens = tokens + ?, cost_usd = cost_usd + ? WHERE scope = ? AND day = ?${where}`, params)
      return rowsAffected(result) === 1
    },
    async adjust(scope, day, delta) {
      await ensure()
      await ensureRow(scope, day)
      await sql.exec(`UPDATE ${table} SET tokens = tokens + ?, cost_usd = cost_usd + ? WHERE scope = ? AND day = ?`, [Math.round(delta.tokens), delta.costUsd, scope, day])
    },
    async totals(scope, day) {
      await ensure()
      const rows = await sql.query<{ tokens: unknown; cost_usd: unknown }>(`SELECT tokens, cost_usd FROM ${table} WHERE scope = ? AND day = ?`, [scope, day])
      return { tokens: num(rows[0]?.tokens), costUsd: num(rows[0]?.cost_usd) }
    },
    async peak(scope) {
      return this.totals(scope, PEAK_DAY)
    },
    async notePeak(scope, unit) {
      await ensure()
      await ensureRow(scope, PEAK_DAY)
      await sql.exec(
        `UPDATE ${table} SET tokens = CASE WHEN tokens < ? THEN ? ELSE tokens END, cost_usd = CASE WHEN cost_usd < ? THEN ? ELSE cost_usd END WHERE scope = ? AND day = ?`,
        [Math.round(unit.tokens), Math.round(unit.tokens), unit.costUsd, unit.costUsd, scope, PEAK_DAY],
      )
    },
  }
}
