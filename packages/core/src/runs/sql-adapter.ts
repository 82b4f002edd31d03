import type { SqlAdapter } from '../contracts/sql.js'
import { ValidationError } from '../errors.js'
import { sqlColumnTypes } from '../sql/column-types.js'
import { sqlDialect } from '../sql/dialect.js'
import type { RuntimeRunPersistenceAdapter, RuntimeRunRow, RuntimeRunStatus } from './runtime-run.js'
import { describeValue } from '../util/describe-value.js'

/** A {@link RuntimeRunPersistenceAdapter} over SQL, with its own table. @stable */
export interface SqlRuntimeRunAdapter extends RuntimeRunPersistenceAdapter {
  readonly table: string
  /** Creates the table and index if missing (idempotent). */
  migrate(): Promise<void>
  upsert(row: RuntimeRunRow): Promise<void>
  get(id: string): Promise<RuntimeRunRow | undefined>
  /** Runs of a workspace, newest first. */
  listByWorkspace(workspaceId: string, options?: { limit?: number }): Promise<RuntimeRunRow[]>
}

const COLUMNS = [
  'id',
  'workspace_id',
  'session_id',
  'agent_id',
  'domain',
  'task_id',
  'scenario_id',
  'status',
  'result_summary',
  'error',
  'tokens_in',
  'tokens_out',
  'cost_usd',
  'wall_ms',
  'llm_calls',
  'started_at',
  'completed_at',
  'metadata',
] as const

/**
 * Stores runtime run rows in a SQL table through any {@link SqlAdapter}
 * (SQLite, PostgreSQL, D1). The same statements serve both dialects; only
 * column types differ.
 * @stable
 * @example
 * const runs = createSqlRuntimeRunAdapter(betterSqlite3ToSqlAdapter(new Database('runs.db')))
 * await runs.migrate()
 * const run = startRuntimeRun({ workspaceId: 'ws', taskSpec: task, adapter: runs })
 */
export function createSqlRuntimeRunAdapter(sql: SqlAdapter, options: { table?: string } = {}): SqlRuntimeRunAdapter {
  if (!sql || typeof sql.exec !== 'function' || typeof sql.query !== 'function') {
    throw new ValidationError('createSqlRuntimeRunAdapter: expected a SqlAdapter (exec, query); wrap your driver with betterSqlite3ToSqlAdapter or pgToSqlAdapter.')
  }
  const table = options.table ?? 'agent_runtime_runs'
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) {
    throw new ValidationError(`createSqlRuntimeRunAdapter: table name ${JSON.stringify(table)} is not a plain SQL identifier; use letters, digits and underscores.`)
  }
  const placeholders = COLUMNS.map(() => '?').join(', ')
  const updates = COLUMNS.filter((c) => c !== 'id')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ')
  return {
    table,
    async migrate() {
      const { bigint: int, double: real } = sqlColumnTypes(await sqlDialect(sql))
      await sql.exec(
        `CREATE TABLE IF NOT EXISTS ${table} (
          id TEXT PRIMARY KEY,
          workspace_id TEXT NOT NULL,
          session_id TEXT,
          agent_id TEXT,
          domain TEXT,
          task_id TEXT NOT NULL,
          scenario_id TEXT,
          status TEXT NOT NULL,
          result_summary TEXT,
          error TEXT,
          tokens_in ${int} NOT NULL DEFAULT 0,
          tokens_out ${int} NOT NULL DEFAULT 0,
          cost_usd ${real} NOT NULL DEFAULT 0,
          wall_ms ${int} NOT NULL DEFAULT 0,
          llm_calls ${int} NOT NULL DEFAULT 0,
          started_at TEXT NOT NULL,
          completed_at TEXT,
          metadata TEXT
        )`,
      )
      await sql.exec(`CREATE INDEX IF NOT EXISTS ${table}_workspace_idx ON ${table} (workspace_id, started_at)`)
    },
    async upsert(row) {
      await sql.exec(`INSERT INTO ${table} (${COLUMNS.join(', ')}) VALUES (${placeholders}) ON CONFLICT (id) DO UPDATE SET ${updates}`, [
        row.id,
        row.workspaceId,
        row.sessionId ?? null,
        row.agentId ?? null,
        row.domain ?? null,
        row.taskId,
        row.scenarioId ?? null,
        row.status,
        row.resultSummary ?? null,
        row.error ?? null,
        Math.round(row.cost.tokensIn),
        Math.round(row.cost.tokensOut),
        row.cost.costUsd,
        Math.round(row.cost.wallMs),
        Math.round(row.cost.llmCalls),
        row.startedAt,
        row.completedAt ?? null,
        row.metadata === undefined ? null : JSON.stringify(row.metadata),
      ])
    },
    async get(id) {
      const rows = await sql.query<Record<string, unknown>>(`SELECT ${COLUMNS.join(', ')} FROM ${table} WHERE id = ?`, [id])
      return rows[0] ? fromDb(rows[0]) : undefined
    },
    async listByWorkspace(workspaceId, opts = {}) {
      const limit = opts.limit ?? 100
      if (!Number.isInteger(limit) || limit < 1) throw new ValidationError(`listByWorkspace: limit must be a positive integer; received ${describeValue(limit)}.`)
      const rows = await sql.query<Record<string, unknown>>(
        `SELECT ${COLUMNS.join(', ')} FROM ${table} WHERE workspace_id = ? ORDER BY started_at DESC, id DESC LIMIT ${limit}`,
        [workspaceId],
      )
      return rows.map(fromDb)
    },
  }
}

function fromDb(r: Record<string, unknown>): RuntimeRunRow {
  const row: RuntimeRunRow = {
    id: String(r.id),
    workspaceId: String(r.workspace_id),
    taskId: String(r.task_id),
    status: String(r.status) as RuntimeRunStatus,
    cost: {
      tokensIn: Number(r.tokens_in),
      tokensOut: Number(r.tokens_out),
      costUsd: Number(r.cost_usd),
      wallMs: Number(r.wall_ms),
      llmCalls: Number(r.llm_calls),
    },
    startedAt: String(r.started_at),
  }
  const opt = (key: string, value: unknown) => {
    if (value !== null && value !== undefined) (row as unknown as Record<string, unknown>)[key] = String(value)
  }
  opt('sessionId', r.session_id)
  opt('agentId', r.agent_id)
  opt('domain', r.domain)
  opt('scenarioId', r.scenario_id)
  opt('resultSummary', r.result_summary)
  opt('error', r.error)
  opt('completedAt', r.completed_at)
  if (typeof r.metadata === 'string') row.metadata = JSON.parse(r.metadata) as Record<string, unknown>
  return row
}
