import { type SqlAdapter, sqlColumnTypes, sqlDialect, ValidationError } from '@tangle-network/agent-runtime-core'
import type { AnalystFinding } from './types.js'

/** One analyst-loop run known to a findings store. @experimental */
export interface FindingsRunInfo {
  runId: string
  createdAt: number
  count: number
}

/** Persists each analyst-loop run's findings. One contract; memory and SQL implementations. @experimental */
export interface FindingsStore {
  /** Stores (replaces) the findings of a run. */
  save(runId: string, findings: readonly AnalystFinding[], meta: { createdAt: number }): Promise<void>
  /** The run's findings in saved order; empty for an unknown run. */
  list(runId: string): Promise<AnalystFinding[]>
  /** Runs ordered by `createdAt`, then `runId`. */
  listRuns(): Promise<FindingsRunInfo[]>
  /** The most recent run other than `excluding`, or null. */
  latestRunId(options?: { excluding?: string }): Promise<string | null>
}

function checkRunId(runId: unknown): asserts runId is string {
  if (typeof runId !== 'string' || runId.length === 0) throw new ValidationError(`FindingsStore: runId must be a non-empty string (got ${JSON.stringify(runId)}).`)
}

const byTime = (a: FindingsRunInfo, b: FindingsRunInfo) => a.createdAt - b.createdAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0)

/**
 * A {@link FindingsStore} in memory.
 * @experimental
 * @example
 * const findingsStore = createMemoryFindingsStore()
 */
export function createMemoryFindingsStore(): FindingsStore {
  const runs = new Map<string, { createdAt: number; findings: AnalystFinding[] }>()
  return {
    async save(runId, findings, meta) {
      checkRunId(runId)
      runs.set(runId, { createdAt: meta.createdAt, findings: structuredClone([...findings]) })
    },
    async list(runId) {
      return structuredClone(runs.get(runId)?.findings ?? [])
    },
    async listRuns() {
      return [...runs.entries()].map(([runId, r]) => ({ runId, createdAt: r.createdAt, count: r.findings.length })).sort(byTime)
    },
    async latestRunId(options = {}) {
      const list = (await this.listRuns()).filter((r) => r.runId !== options.excluding)
      return list.length > 0 ? list[list.length - 1]!.runId : null
    },
  }
}

/** A {@link FindingsStore} over SQL, with `migrate()`. @experimental */
export interface SqlFindingsStore extends FindingsStore {
  migrate(): Promise<void>
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A {@link FindingsStore} over any `SqlAdapter` (better-sqlite3, node-postgres, D1).
 * @experimental
 * @example
 * const findingsStore = createSqlFindingsStore(pgToSqlAdapter(pool))
 * await findingsStore.migrate()
 */
export function createSqlFindingsStore(sql: SqlAdapter, options: { tablePrefix?: string } = {}): SqlFindingsStore {
  const prefix = options.tablePrefix ?? 'agent_runtime_findings_'
  if (!IDENT.test(prefix)) throw new ValidationError(`createSqlFindingsStore: tablePrefix '${prefix}' must match ${IDENT}.`)
  const runs = `${prefix}runs`
  const items = `${prefix}items`
  // A run's committed findings are the `count` items from `first_position` on; save() writes the new
  // generation above the old one, then moves the run row to it, then deletes the old rows, so a
  // failure midway leaves the previous findings readable.
  const committed = `SELECT first_position, item_count FROM ${runs} WHERE run_id = ?`
  const inRange = `i.position >= COALESCE(r.first_position, 0) AND (r.item_count IS NULL OR i.position < COALESCE(r.first_position, 0) + r.item_count)`
  const store: SqlFindingsStore = {
    async migrate() {
      const dialect = await sqlDialect(sql)
      const { bigint: big, double: real } = sqlColumnTypes(dialect)
      await sql.exec(`CREATE TABLE IF NOT EXISTS ${runs} (run_id TEXT PRIMARY KEY, created_at ${big} NOT NULL, first_position ${big}, item_count ${big})`)
      await sql.exec(
        `CREATE TABLE IF NOT EXISTS ${items} (run_id TEXT NOT NULL, position ${big} NOT NULL, finding_id TEXT NOT NULL, analyst_id TEXT NOT NULL, severity TEXT NOT NULL, area TEXT NOT NULL, confidence ${real} NOT NULL, body TEXT NOT NULL, PRIMARY KEY (run_id, position))`,
      )
      await sql.exec(`CREATE INDEX IF NOT EXISTS ${prefix}items_finding ON ${items} (finding_id)`)
      // Tables made before generations existed get the two columns (NULL reads as "every row").
      if (dialect === 'postgres') {
        await sql.exec(`ALTER TABLE ${runs} ADD COLUMN IF NOT EXISTS first_position ${big}, ADD COLUMN IF NOT EXISTS item_count ${big}`)
      } else {
        const cols = await sql.query<{ name: string }>(`SELECT name FROM pragma_table_info('${runs}')`)
        for (const col of ['first_position', 'item_count']) {
          if (!cols.some((c) => c.name === col)) await sql.exec(`ALTER TABLE ${runs} ADD COLUMN ${col} ${big}`)
        }
      }
    },
    async save(runId, findings, meta) {
      checkRunId(runId)
      const top = await sql.query<{ m: number | string | null }>(`SELECT MAX(position) AS m FROM ${items} WHERE run_id = ?`, [runId])
      const first = top[0]?.m === null || top[0]?.m === undefined ? 0 : Number(top[0].m) + 1
      let position = first
      for (const f of findings) {
        await sql.exec(`INSERT INTO ${items} (run_id, position, finding_id, analyst_id, severity, area, confidence, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
          runId,
          position++,
          f.finding_id,
          f.analyst_id,
          f.severity,
          f.area,
          f.confidence,
          JSON.stringify(f),
        ])
      }
      await sql.exec(
        `INSERT INTO ${runs} (run_id, created_at, first_position, item_count) VALUES (?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET created_at = excluded.created_at, first_position = excluded.first_position, item_count = excluded.item_count`,
        [runId, meta.createdAt, first, findings.length],
      )
      await sql.exec(`DELETE FROM ${items} WHERE run_id = ? AND position < ?`, [runId, first])
    },
    async list(runId) {
      const run = await sql.query<{ first_position: number | string | null; item_count: number | string | null }>(committed, [runId])
      if (!run[0]) return []
      const from = Number(run[0].first_position ?? 0)
      const rows =
        run[0].item_count === null
          ? await sql.query<{ body: string }>(`SELECT body FROM ${items} WHERE run_id = ? AND position >= ? ORDER BY position`, [runId, from])
          : await sql.query<{ body: string }>(`SELECT body FROM ${items} WHERE run_id = ? AND position >= ? AND position < ? ORDER BY position`, [
              runId,
              from,
              from + Number(run[0].item_count),
            ])
      return rows.map((r) => JSON.parse(r.body) as AnalystFinding)
    },
    async listRuns() {
      const rows = await sql.query<{ run_id: string; created_at: number | string; n: number | string }>(
        `SELECT r.run_id, r.created_at, (SELECT COUNT(*) FROM ${items} i WHERE i.run_id = r.run_id AND ${inRange}) AS n FROM ${runs} r ORDER BY r.created_at, r.run_id`,
      )
      return rows.map((r) => ({ runId: r.run_id, createdAt: Number(r.created_at), count: Number(r.n) }))
    },
    async latestRunId(options = {}) {
      const rows = options.excluding
        ? await sql.query<{ run_id: string }>(`SELECT run_id FROM ${runs} WHERE run_id <> ? ORDER BY created_at DESC, run_id DESC LIMIT 1`, [options.excluding])
        : await sql.query<{ run_id: string }>(`SELECT run_id FROM ${runs} ORDER BY created_at DESC, run_id DESC LIMIT 1`)
      return rows[0]?.run_id ?? null
    },
  }
  return store
}
