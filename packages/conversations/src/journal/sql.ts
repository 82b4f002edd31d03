import { type Clock, type SqlAdapter, ValidationError, describeValue, randomUuid, rowsAffected, systemClock } from '@tangle-network/agent-runtime-core'
import type { ConversationTurn, HaltReason } from '../types.js'
import { assertRunId, assertTurn, haltedRunError, startedAtMismatchError, turnOrderError, unknownRunError } from './checks.js'
import { type ConversationJournal, type ConversationJournalEntry, ConversationLeaseError } from './types.js'

/** Options of {@link SqlConversationJournal}. @stable */
export interface SqlConversationJournalOptions {
  /**
   * This worker's identity for run leases. Defaults to a random id per
   * journal instance. Give a restarted worker the same id to let it reclaim
   * its own lease at once instead of waiting for it to expire.
   */
  owner?: string
  /** How long a claim stays valid without renewal, in ms. Default 60 000. */
  leaseMs?: number
  /** Clock for lease times; defaults to the system clock. */
  clock?: Clock
}

interface RunRow {
  started_at: string
  halted: string | null
  ended_at: string | null
  owner: string | null
  lease_until: number | string | null
}

const TABLE_PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/

/**
 * A conversation journal over any {@link SqlAdapter} (SQLite, PostgreSQL,
 * D1). Two tables: `${table}_runs` (one row per run: start, halt, lease) and
 * `${table}_turns` (one row per committed turn, primary key
 * `(run_id, turn_index)`). Every append is a single conditional INSERT that
 * only succeeds for a live run owned by this worker whose previous turn is
 * present, and the primary key turns a racing duplicate into an error.
 * @stable
 * @example
 * import Database from 'better-sqlite3'
 * const journal = new SqlConversationJournal(betterSqlite3ToSqlAdapter(new Database('journal.db')))
 * await journal.migrate()
 * await runConversation(conv, { seed: 'hi', runId: 'run_1', journal })
 */
export class SqlConversationJournal implements ConversationJournal {
  private readonly db: SqlAdapter
  private readonly runs: string
  private readonly turns: string
  /** This instance's lease owner id. */
  readonly owner: string
  private readonly leaseMs: number
  private readonly clock: Clock

  constructor(db: SqlAdapter, table = 'agent_runtime_journal', options: SqlConversationJournalOptions = {}) {
    if (!db || typeof db.exec !== 'function' || typeof db.query !== 'function') {
      throw new ValidationError('SqlConversationJournal: expected a SqlAdapter ({ exec, query }); wrap your driver with betterSqlite3ToSqlAdapter, pgToSqlAdapter or d1ToSqlAdapter.')
    }
    if (!TABLE_PREFIX.test(table)) {
      throw new ValidationError(`SqlConversationJournal: table prefix ${JSON.stringify(table)} is not a plain SQL identifier; use letters, digits and underscores, starting with a letter.`)
    }
    if (options.leaseMs !== undefined && (!Number.isFinite(options.leaseMs) || options.leaseMs <= 0)) {
      throw new ValidationError(`SqlConversationJournal: leaseMs must be a positive number of milliseconds, got ${describeValue(options.leaseMs)}.`)
    }
    if (options.owner !== undefined && (typeof options.owner !== 'string' || options.owner === '')) {
      throw new ValidationError('SqlConversationJournal: owner must be a non-empty string.')
    }
    this.db = db
    this.runs = `${table}_runs`
    this.turns = `${table}_turns`
    this.owner = options.owner ?? `journal_${randomUuid()}`
    this.leaseMs = options.leaseMs ?? 60_000
    this.clock = options.clock ?? systemClock
  }

  /** Creates both tables if absent. Idempotent; run it once at deploy or boot, not from racing workers. */
  async migrate(): Promise<void> {
    await this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${this.runs} (run_id TEXT PRIMARY KEY, started_at TEXT NOT NULL, halted TEXT, ended_at TEXT, owner TEXT, lease_until BIGINT)`,
    )
    await this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${this.turns} (run_id TEXT NOT NULL, turn_index INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (run_id, turn_index))`,
    )
  }

  async loadRun(runId: string): Promise<ConversationJournalEntry | undefined> {
    assertRunId(runId)
    const run = await this.readRun(runId)
    if (!run) return undefined
    const rows = await this.db.query<{ payload: string }>(`SELECT payload FROM ${this.turns} WHERE run_id = ? ORDER BY turn_index`, [runId])
    const entry: ConversationJournalEntry = { runId, startedAt: run.started_at, turns: rows.map((r) => JSON.parse(r.payload) as ConversationTurn) }
    if (run.halted) entry.halted = JSON.parse(run.halted) as HaltReason
    if (run.ended_at) entry.endedAt = run.ended_at
    return entry
  }

  async beginRun(runId: string, startedAt: string): Promise<void> {
    assertRunId(runId)
    const res = await this.db.exec(`INSERT INTO ${this.runs} (run_id, started_at) VALUES (?, ?) ON CONFLICT (run_id) DO NOTHING`, [runId, startedAt])
    if (rowsAffected(res) > 0) return
    const run = await this.readRun(runId)
    if (!run) throw unknownRunError(runId, 'begin')
    if (run.started_at !== startedAt) throw startedAtMismatchError(runId, run.started_at, startedAt)
  }

  async appendTurn(runId: string, turn: ConversationTurn): Promise<void> {
    assertTurn(runId, turn)
    // One statement decides everything: the run is live and not owned by
    // another worker, this index is free, and its predecessor is present.
    let inserted = 0
    let failure: unknown
    try {
      const res = await this.db.exec(
        `INSERT INTO ${this.turns} (run_id, turn_index, payload) ` +
          'SELECT CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT) ' +
          `WHERE EXISTS (SELECT 1 FROM ${this.runs} WHERE run_id = ? AND halted IS NULL AND (owner IS NULL OR owner = ?)) ` +
          `AND NOT EXISTS (SELECT 1 FROM ${this.turns} WHERE run_id = ? AND turn_index = ?) ` +
          `AND (CAST(? AS INTEGER) = 0 OR EXISTS (SELECT 1 FROM ${this.turns} WHERE run_id = ? AND turn_index = ?))`,
        [runId, turn.index, JSON.stringify(turn), runId, this.owner, runId, turn.index, turn.index, runId, turn.index - 1],
      )
      inserted = rowsAffected(res)
    } catch (err) {
      // A concurrent writer won the primary key; diagnose below.
      failure = err
    }
    if (inserted > 0) return
    await this.diagnoseRefusal(runId, 'append to', turn.index)
    throw failure ?? turnOrderError(runId, turn.index, turn.index)
  }

  async recordHalt(runId: string, halt: HaltReason, endedAt: string): Promise<void> {
    assertRunId(runId)
    const res = await this.db.exec(
      `UPDATE ${this.runs} SET halted = ?, ended_at = ?, owner = NULL, lease_until = NULL WHERE run_id = ? AND halted IS NULL AND (owner IS NULL OR owner = ?)`,
      [JSON.stringify(halt), endedAt, runId, this.owner],
    )
    if (rowsAffected(res) > 0) return
    await this.diagnoseRefusal(runId, 'halt')
  }

  /**
   * Claims the run for {@link owner} until now + leaseMs, or renews the
   * claim. One conditional UPDATE: it matches only when the run is live and
   * unowned, owned by us, or its lease expired, so of two racing workers
   * exactly one sees a changed row.
   */
  async claimRun(runId: string): Promise<void> {
    assertRunId(runId)
    const now = this.clock()
    const res = await this.db.exec(
      `UPDATE ${this.runs} SET owner = ?, lease_until = ? WHERE run_id = ? AND halted IS NULL AND (owner IS NULL OR owner = ? OR lease_until < ?)`,
      [this.owner, now + this.leaseMs, runId, this.owner, now],
    )
    if (rowsAffected(res) > 0) return
    await this.diagnoseRefusal(runId, 'claim')
    throw new ConversationLeaseError(runId, undefined)
  }

  /** Drops this worker's claim so another may take the run at once. */
  async releaseRun(runId: string): Promise<void> {
    assertRunId(runId)
    await this.db.exec(`UPDATE ${this.runs} SET owner = NULL, lease_until = NULL WHERE run_id = ? AND owner = ?`, [runId, this.owner])
  }

  private async readRun(runId: string): Promise<RunRow | undefined> {
    const rows = await this.db.query<RunRow>(`SELECT started_at, halted, ended_at, owner, lease_until FROM ${this.runs} WHERE run_id = ?`, [runId])
    return rows[0]
  }

  // Explains why a guarded write changed nothing, by throwing the matching error.
  private async diagnoseRefusal(runId: string, op: string, turnIndex?: number): Promise<void> {
    const run = await this.readRun(runId)
    if (!run) throw unknownRunError(runId, op)
    if (run.halted) throw haltedRunError(runId, op, JSON.parse(run.halted) as HaltReason)
    if (run.owner !== null && run.owner !== this.owner) {
      const until = run.lease_until === null ? undefined : Number(run.lease_until)
      throw new ConversationLeaseError(runId, run.owner, until === undefined ? undefined : `lease until ${new Date(until).toISOString()}`)
    }
    if (turnIndex !== undefined) {
      const [row] = await this.db.query<{ next: number | string | null }>(`SELECT MAX(turn_index) AS next FROM ${this.turns} WHERE run_id = ?`, [runId])
      const next = row?.next === null || row?.next === undefined ? 0 : Number(row.next) + 1
      throw turnOrderError(runId, turnIndex, next)
    }
  }
}
