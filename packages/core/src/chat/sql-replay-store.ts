import type { SqlAdapter } from '../contracts/sql.js'
import { ValidationError } from '../errors.js'
import { systemClock } from '../util/clock.js'
import { sqlColumnTypes } from '../sql/column-types.js'
import { rowsAffected, sqlDialect } from '../sql/dialect.js'
import {
  type ChatTurnReplayBegin,
  type ChatTurnReplayStore,
  type ChatTurnReplayStoreOptions,
  resolveInFlightTimeout,
  serializeStoredEvent,
  withSerializedAppend,
} from './replay-store.js'
import type { ChatStreamEvent } from './types.js'

/** Options of {@link createSqlChatTurnReplayStore}. @stable */
export interface SqlChatTurnReplayStoreOptions extends ChatTurnReplayStoreOptions {
  sql: SqlAdapter
  /** Prefix of the two tables (`<prefix>chat_executions`, `<prefix>chat_execution_events`). Default `agent_runtime_`. */
  tablePrefix?: string
}

/** A {@link ChatTurnReplayStore} over SQL, plus explicit schema management. @stable */
export interface SqlChatTurnReplayStore extends ChatTurnReplayStore {
  /** Creates the tables if missing. Runs automatically before the first operation. */
  migrate(): Promise<void>
  prune(before: number): Promise<number>
}

interface ExecutionRow {
  state: 'running' | 'produced' | 'persisted' | 'failed'
  attempt_id: string
  lease_expires_at: number | string
  producer_attempt_id: string | null
  final_text: string | null
  version: number | string
}

// Of two racers, the optimistic UPDATE lets one win; the loser re-reads and
// sees the winner's live lease. A handful of rounds is plenty.
const MAX_BEGIN_ROUNDS = 8
const INSERT_CHUNK = 100

/**
 * A {@link ChatTurnReplayStore} over any {@link SqlAdapter} (SQLite via
 * better-sqlite3 or D1, PostgreSQL via node-postgres). `begin` is atomic
 * across processes: a first claim is `INSERT … ON CONFLICT DO NOTHING`, a
 * takeover is an UPDATE conditional on the row's version, and the caller
 * checks `changes`.
 * @stable
 * @example
 * const replay = createSqlChatTurnReplayStore({ sql: betterSqlite3ToSqlAdapter(new Database('chat.db')) })
 * handleChatTurn({ identity, hooks, replay })
 */
export function createSqlChatTurnReplayStore(options: SqlChatTurnReplayStoreOptions): SqlChatTurnReplayStore {
  const fn = 'createSqlChatTurnReplayStore'
  const sql = options?.sql
  if (!sql || typeof sql.exec !== 'function' || typeof sql.query !== 'function') {
    throw new ValidationError(`${fn}: options.sql must be a SqlAdapter (wrap your driver with betterSqlite3ToSqlAdapter, pgToSqlAdapter or d1ToSqlAdapter).`)
  }
  const prefix = options.tablePrefix ?? 'agent_runtime_'
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(prefix)) {
    throw new ValidationError(`${fn}: tablePrefix must be letters, digits and underscores (at most 41, not starting with a digit), got ${JSON.stringify(prefix)}.`)
  }
  const timeoutMs = resolveInFlightTimeout(fn, options.inFlightTimeoutMs)
  const clock = options.clock ?? systemClock
  const ex = `${prefix}chat_executions`
  const ev = `${prefix}chat_execution_events`

  let schema: Promise<void> | undefined
  const migrate = () => {
    schema ??= createSchema().catch((err) => {
      schema = undefined
      throw err
    })
    return schema
  }
  async function createSchema() {
    const types = sqlColumnTypes(await sqlDialect(sql))
    const epoch = types.bigint
    await sql.exec(
      `CREATE TABLE IF NOT EXISTS ${ex} (execution_id TEXT PRIMARY KEY, state TEXT NOT NULL, attempt_id TEXT NOT NULL, ` +
        `lease_expires_at ${epoch} NOT NULL, producer_attempt_id TEXT, final_text TEXT, version INTEGER NOT NULL, updated_at ${epoch} NOT NULL)`,
    )
    const id = `id ${types.serialPrimaryKey}`
    await sql.exec(`CREATE TABLE IF NOT EXISTS ${ev} (${id}, execution_id TEXT NOT NULL, attempt_id TEXT NOT NULL, event TEXT NOT NULL)`)
    await sql.exec(`CREATE INDEX IF NOT EXISTS ${ev}_by_attempt ON ${ev} (execution_id, attempt_id, id)`)
  }

  const readRow = async (executionId: string) =>
    (
      await sql.query<ExecutionRow>(
        `SELECT state, attempt_id, lease_expires_at, producer_attempt_id, final_text, version FROM ${ex} WHERE execution_id = ?`,
        [executionId],
      )
    )[0]
  const readEvents = async (executionId: string, attemptId: string) => {
    const rows = await sql.query<{ event: string }>(`SELECT event FROM ${ev} WHERE execution_id = ? AND attempt_id = ? ORDER BY id`, [
      executionId,
      attemptId,
    ])
    return rows.map((r) => JSON.parse(r.event) as ChatStreamEvent)
  }

  async function begin(executionId: string, attemptId: string): Promise<ChatTurnReplayBegin> {
    await migrate()
    for (let round = 0; round < MAX_BEGIN_ROUNDS; round++) {
      const now = clock()
      const inserted = await sql.exec(
        `INSERT INTO ${ex} (execution_id, state, attempt_id, lease_expires_at, producer_attempt_id, final_text, version, updated_at) ` +
          `VALUES (?, 'running', ?, ?, NULL, NULL, 1, ?) ON CONFLICT (execution_id) DO NOTHING`,
        [executionId, attemptId, now + timeoutMs, now],
      )
      if (rowsAffected(inserted) === 1) return { status: 'started' }
      const row = await readRow(executionId)
      if (!row) continue // pruned between the two statements: claim again
      if (row.state === 'persisted') {
        return { status: 'completed', events: await readEvents(executionId, row.producer_attempt_id ?? ''), finalText: row.final_text ?? '' }
      }
      const leaseLive = Number(row.lease_expires_at) > now
      if ((row.state === 'running' || row.state === 'produced') && leaseLive) return { status: 'in_flight' }
      const resume = row.state === 'produced'
      const claimed = await sql.exec(
        resume
          ? `UPDATE ${ex} SET attempt_id = ?, lease_expires_at = ?, updated_at = ?, version = version + 1 WHERE execution_id = ? AND version = ?`
          : `UPDATE ${ex} SET state = 'running', attempt_id = ?, lease_expires_at = ?, updated_at = ?, version = version + 1, ` +
              `producer_attempt_id = NULL, final_text = NULL WHERE execution_id = ? AND version = ?`,
        [attemptId, now + timeoutMs, now, executionId, Number(row.version)],
      )
      if (rowsAffected(claimed) !== 1) continue // another attempt won the race: re-read its state
      if (resume) {
        return { status: 'resume_persist', events: await readEvents(executionId, row.producer_attempt_id ?? ''), finalText: row.final_text ?? '' }
      }
      await sql.exec(`DELETE FROM ${ev} WHERE execution_id = ? AND attempt_id <> ?`, [executionId, attemptId])
      return { status: 'started' }
    }
    return { status: 'in_flight' }
  }

  const appendJson = async (executionId: string, attemptId: string, serialized: readonly string[]): Promise<boolean> => {
    await migrate()
    const now = clock()
    const renewed = await sql.exec(
      `UPDATE ${ex} SET lease_expires_at = ?, updated_at = ? WHERE execution_id = ? AND attempt_id = ? AND state = 'running'`,
      [now + timeoutMs, now, executionId, attemptId],
    )
    if (rowsAffected(renewed) !== 1) return false
    for (let i = 0; i < serialized.length; i += INSERT_CHUNK) {
      const chunk = serialized.slice(i, i + INSERT_CHUNK)
      const params: unknown[] = []
      for (const event of chunk) params.push(executionId, attemptId, event)
      await sql.exec(`INSERT INTO ${ev} (execution_id, attempt_id, event) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`, params)
    }
    return true
  }

  const store: SqlChatTurnReplayStore = {
    lease: { durationMs: timeoutMs, now: clock },
    migrate,
    begin,
    append: async (executionId, attemptId, events) => appendJson(executionId, attemptId, events.map(serializeStoredEvent)),
    async complete(executionId, attemptId, outcome) {
      await migrate()
      const now = clock()
      const produced = await sql.exec(
        `UPDATE ${ex} SET state = ?, producer_attempt_id = ?, final_text = ?, lease_expires_at = ?, updated_at = ? ` +
          `WHERE execution_id = ? AND attempt_id = ? AND state = 'running'`,
        [outcome.persisted ? 'persisted' : 'produced', attemptId, outcome.finalText, now + timeoutMs, now, executionId, attemptId],
      )
      if (rowsAffected(produced) === 1) return true
      if (!outcome.persisted) return false
      const persisted = await sql.exec(
        `UPDATE ${ex} SET state = 'persisted', lease_expires_at = ?, updated_at = ? WHERE execution_id = ? AND attempt_id = ? AND state = 'produced'`,
        [now + timeoutMs, now, executionId, attemptId],
      )
      return rowsAffected(persisted) === 1
    },
    async fail(executionId, attemptId) {
      await migrate()
      const now = clock()
      const failed = await sql.exec(
        `UPDATE ${ex} SET state = 'failed', lease_expires_at = 0, final_text = NULL, updated_at = ? WHERE execution_id = ? AND attempt_id = ? AND state = 'running'`,
        [now, executionId, attemptId],
      )
      if (rowsAffected(failed) === 1) {
        await sql.exec(`DELETE FROM ${ev} WHERE execution_id = ? AND attempt_id = ?`, [executionId, attemptId])
        return
      }
      await sql.exec(`UPDATE ${ex} SET lease_expires_at = 0, updated_at = ? WHERE execution_id = ? AND attempt_id = ? AND state = 'produced'`, [
        now,
        executionId,
        attemptId,
      ])
    },
    async prune(before) {
      await migrate()
      const finished = `SELECT execution_id FROM ${ex} WHERE state IN ('persisted', 'failed') AND updated_at < ?`
      await sql.exec(`DELETE FROM ${ev} WHERE execution_id IN (${finished})`, [before])
      const removed = await sql.exec(`DELETE FROM ${ex} WHERE state IN ('persisted', 'failed') AND updated_at < ?`, [before])
      return rowsAffected(removed)
    },
  }
  return withSerializedAppend(store, appendJson)
}
