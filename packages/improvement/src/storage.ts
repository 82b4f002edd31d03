/**
 * Campaign storage that needs no file system: in memory, and over any
 * {@link SqlAdapter} (SQLite through better-sqlite3 or D1, PostgreSQL through pg).
 * The JSON-lines file storage is Node-only and lives in `./node`.
 */
import { type SqlAdapter, ValidationError } from '@tangle-network/agent-runtime-core'
import { z } from 'zod'
import type { CampaignStorage, CellRecord } from './types.js'

const usageSchema = z.object({ tokensIn: z.number(), tokensOut: z.number(), costUsd: z.number() })

/** The zod schema of a stored {@link CellRecord}; storage rejects rows that do not match it. @experimental */
export const cellRecordSchema = z.object({
  key: z.string(),
  surfaceHash: z.string(),
  seed: z.number(),
  scenarioId: z.string(),
  rep: z.number().int().nonnegative(),
  cellId: z.string(),
  value: z.number().min(0).max(1),
  scores: z.record(z.string(), z.number()),
  notes: z.record(z.string(), z.string()),
  output: z.string(),
  usage: usageSchema,
})

/**
 * Campaign storage in memory: for tests and short-lived runs.
 * @experimental
 * @example
 * const storage = createMemoryCampaignStorage()
 * await runCampaign({ surface, scenarios, judges, run, storage })
 */
export function createMemoryCampaignStorage(): CampaignStorage & { readonly size: number } {
  const cells = new Map<string, CellRecord>()
  return {
    get size() {
      return cells.size
    },
    async get(key) {
      const found = cells.get(key)
      return found ? structuredClone(found) : undefined
    },
    async put(record) {
      cells.set(record.key, structuredClone(record))
    },
  }
}

/** Options of {@link createSqlCampaignStorage}. @experimental */
export interface SqlCampaignStorageOptions {
  /** Table name (letters, digits, underscores); default `improvement_cells`. */
  table?: string
}

/**
 * Campaign storage over a {@link SqlAdapter}: one row per finished cell, keyed
 * by surface hash, seed, scenario and rep. The table is created on first use.
 * @experimental
 * @example
 * const storage = createSqlCampaignStorage(betterSqlite3ToSqlAdapter(new Database('.agent-runtime/campaign.db')))
 */
export function createSqlCampaignStorage(sql: SqlAdapter, options: SqlCampaignStorageOptions = {}): CampaignStorage {
  const table = options.table ?? 'improvement_cells'
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
    throw new ValidationError(`createSqlCampaignStorage: table '${table}' is not a plain SQL identifier; use letters, digits and underscores.`)
  }
  let ready: Promise<unknown> | undefined
  const init = () => {
    // A failed create is not cached: the next call tries again.
    ready ??= sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (cell_key TEXT PRIMARY KEY, record TEXT NOT NULL)`).catch((err: unknown) => {
      ready = undefined
      throw err
    })
    return ready
  }
  return {
    async get(key) {
      await init()
      const rows = await sql.query<{ record: string }>(`SELECT record FROM ${table} WHERE cell_key = ?`, [key])
      if (!rows[0]) return undefined
      const parsed = cellRecordSchema.safeParse(JSON.parse(rows[0].record))
      if (!parsed.success) throw new ValidationError(`campaign table ${table}: row '${key}' is not a cell record: ${parsed.error.message}`)
      return parsed.data
    },
    async put(record) {
      await init()
      // ON CONFLICT … DO UPDATE parses on SQLite >= 3.24 and PostgreSQL alike, so no dialect is needed.
      await sql.exec(`INSERT INTO ${table} (cell_key, record) VALUES (?, ?) ON CONFLICT (cell_key) DO UPDATE SET record = excluded.record`, [
        record.key,
        JSON.stringify(record),
      ])
    },
  }
}
