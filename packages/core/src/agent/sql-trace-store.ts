import type { SqlAdapter } from '../contracts/sql.js'
import { NotFoundError, ValidationError } from '../errors.js'
import { sqlColumnTypes } from '../sql/column-types.js'
import { sqlDialect } from '../sql/dialect.js'
import { checkRunId, type AgentRunRecord, type OutcomeRecord, type TraceEventRecord, type TraceStore } from './trace-store.js'

/** A {@link TraceStore} over SQL, with the `migrate()` that creates its tables. @experimental */
export interface SqlTraceStore extends TraceStore {
  /** Creates the `<prefix>runs`, `<prefix>events` and `<prefix>outcomes` tables if missing. */
  migrate(): Promise<void>
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/

type RunRow = {
  run_id: string
  agent_id: string
  persona_id: string | null
  variant_id: string | null
  status: string
  started_at: number | string
  ended_at: number | string | null
  output: string | null
  scores: string | null
  composite: number | string | null
  error: string | null
  cost_usd: number | string | null
}

const num = (v: number | string | null): number | undefined => (v === null || v === undefined ? undefined : Number(v))

function toRun(r: RunRow): AgentRunRecord {
  const run: AgentRunRecord = { runId: r.run_id, agentId: r.agent_id, status: r.status as AgentRunRecord['status'], startedAt: Number(r.started_at) }
  if (r.persona_id !== null) run.personaId = r.persona_id
  if (r.variant_id !== null) run.variantId = r.variant_id
  if (r.ended_at !== null) run.endedAt = Number(r.ended_at)
  if (r.output !== null) run.output = JSON.parse(r.output)
  if (r.scores !== null) run.scores = JSON.parse(r.scores)
  if (r.composite !== null) run.composite = num(r.composite)
  if (r.error !== null) run.error = r.error
  if (r.cost_usd !== null) run.costUsd = num(r.cost_usd)
  return run
}

/**
 * A {@link TraceStore} over any {@link SqlAdapter} (better-sqlite3, node-postgres, D1).
 * Call `migrate()` once before use.
 * @experimental
 * @example
 * const traces = createSqlTraceStore(betterSqlite3ToSqlAdapter(new Database('.agent-runtime/traces.db')))
 * await traces.migrate()
 */
export function createSqlTraceStore(sql: SqlAdapter, options: { tablePrefix?: string } = {}): SqlTraceStore {
  const prefix = options.tablePrefix ?? 'agent_runtime_trace_'
  if (!IDENT.test(prefix)) throw new ValidationError(`createSqlTraceStore: tablePrefix '${prefix}' must match ${IDENT}; use letters, digits and underscores.`)
  const runs = `${prefix}runs`
  const events = `${prefix}events`
  const outcomes = `${prefix}outcomes`
  const requireRun = async (method: string, runId: string) => {
    checkRunId(method, runId)
    const rows = await sql.query(`SELECT run_id FROM ${runs} WHERE run_id = ?`, [runId])
    if (rows.length === 0) throw new NotFoundError(`TraceStore.${method}: no run '${runId}'; call beginRun first.`)
  }
  const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v))
  return {
    async migrate() {
      const { bigint: big, double: real } = sqlColumnTypes(await sqlDialect(sql))
      await sql.exec(
        `CREATE TABLE IF NOT EXISTS ${runs} (run_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, persona_id TEXT, variant_id TEXT, status TEXT NOT NULL, started_at ${big} NOT NULL, ended_at ${big}, output TEXT, scores TEXT, composite ${real}, error TEXT, cost_usd ${real})`,
      )
      await sql.exec(
        `CREATE TABLE IF NOT EXISTS ${events} (run_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, type TEXT NOT NULL, ts ${big} NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (run_id, seq))`,
      )
      await sql.exec(
        `CREATE TABLE IF NOT EXISTS ${outcomes} (outcome_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, kind TEXT NOT NULL, value ${real} NOT NULL, recorded_at ${big} NOT NULL, metadata TEXT)`,
      )
      await sql.exec(`CREATE INDEX IF NOT EXISTS ${prefix}runs_agent ON ${runs} (agent_id, started_at)`)
      await sql.exec(`CREATE INDEX IF NOT EXISTS ${prefix}outcomes_run ON ${outcomes} (run_id, recorded_at)`)
    },
    async beginRun(run) {
      checkRunId('beginRun', run.runId)
      const existing = await sql.query(`SELECT run_id FROM ${runs} WHERE run_id = ?`, [run.runId])
      if (existing.length > 0) throw new ValidationError(`TraceStore.beginRun: run '${run.runId}' already exists; use a fresh run id.`)
      await sql.exec(`INSERT INTO ${runs} (run_id, agent_id, persona_id, variant_id, status, started_at) VALUES (?, ?, ?, ?, 'running', ?)`, [
        run.runId,
        run.agentId,
        run.personaId ?? null,
        run.variantId ?? null,
        run.startedAt,
      ])
    },
    async append(runId, batch) {
      await requireRun('append', runId)
      for (const e of batch) {
        await sql.exec(
          `INSERT INTO ${events} (run_id, seq, kind, type, ts, payload) SELECT ?, COALESCE(MAX(seq), -1) + 1, ?, ?, ?, ? FROM ${events} WHERE run_id = ?`,
          [runId, e.kind, e.type, e.timestamp, JSON.stringify(e.payload ?? {}), runId],
        )
      }
    },
    async endRun(runId, end) {
      await requireRun('endRun', runId)
      await sql.exec(`UPDATE ${runs} SET status = ?, ended_at = ?, output = ?, scores = ?, composite = ?, error = ?, cost_usd = ? WHERE run_id = ?`, [
        end.status,
        end.endedAt,
        json(end.output),
        json(end.scores),
        end.composite ?? null,
        end.error ?? null,
        end.costUsd ?? null,
        runId,
      ])
    },
    async getRun(runId) {
      const rows = await sql.query<RunRow>(`SELECT * FROM ${runs} WHERE run_id = ?`, [runId])
      return rows[0] ? toRun(rows[0]) : null
    },
    async listRuns(filter = {}) {
      const where: string[] = []
      const params: unknown[] = []
      if (filter.agentId !== undefined) {
        where.push('agent_id = ?')
        params.push(filter.agentId)
      }
      if (filter.since !== undefined) {
        where.push('started_at >= ?')
        params.push(filter.since)
      }
      let q = `SELECT * FROM ${runs}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, run_id`
      if (filter.limit !== undefined) {
        q += ' LIMIT ?'
        params.push(filter.limit)
      }
      return (await sql.query<RunRow>(q, params)).map(toRun)
    },
    async events(runId, filter = {}) {
      const params: unknown[] = [runId]
      let q = `SELECT run_id, seq, kind, type, ts, payload FROM ${events} WHERE run_id = ?`
      if (filter.kind) {
        q += ' AND kind = ?'
        params.push(filter.kind)
      }
      q += ' ORDER BY seq'
      const rows = await sql.query<{ run_id: string; seq: number | string; kind: string; type: string; ts: number | string; payload: string }>(q, params)
      return rows.map(
        (r): TraceEventRecord => ({ runId: r.run_id, seq: Number(r.seq), kind: r.kind as TraceEventRecord['kind'], type: r.type, timestamp: Number(r.ts), payload: JSON.parse(r.payload) }),
      )
    },
    async recordOutcome(o) {
      await requireRun('recordOutcome', o.runId)
      const dup = await sql.query(`SELECT outcome_id FROM ${outcomes} WHERE outcome_id = ?`, [o.outcomeId])
      if (dup.length > 0) throw new ValidationError(`TraceStore.recordOutcome: outcome '${o.outcomeId}' already recorded.`)
      await sql.exec(`INSERT INTO ${outcomes} (outcome_id, run_id, kind, value, recorded_at, metadata) VALUES (?, ?, ?, ?, ?, ?)`, [
        o.outcomeId,
        o.runId,
        o.kind,
        o.value,
        o.recordedAt,
        json(o.metadata),
      ])
    },
    async outcomes(runId) {
      const rows = await sql.query<{ outcome_id: string; run_id: string; kind: string; value: number | string; recorded_at: number | string; metadata: string | null }>(
        `SELECT * FROM ${outcomes} WHERE run_id = ? ORDER BY recorded_at, outcome_id`,
        [runId],
      )
      return rows.map((r) => {
        const out: OutcomeRecord = { outcomeId: r.outcome_id, runId: r.run_id, kind: r.kind, value: Number(r.value), recordedAt: Number(r.recorded_at) }
        if (r.metadata !== null) out.metadata = JSON.parse(r.metadata)
        return out
      })
    },
  }
}
