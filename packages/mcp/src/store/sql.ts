import { rowsAffected, type SqlAdapter, sqlColumnTypes, sqlDialect, ValidationError } from '@tangle-network/agent-runtime-core'
import type {
  DelegationLease,
  DelegationListFilter,
  DelegationReclaim,
  DelegationRecord,
  DelegationRecovery,
  DelegationRecoveryMode,
  DelegationStore,
  FeedbackRecord,
  NewDelegation,
} from './types.js'

const TABLE_PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/
const COLUMNS =
  'task_id, idem_key, profile, namespace, args, status, progress, output, error, cost_usd, attempts, version, created_at, started_at, completed_at, updated_at, lease_owner, lease_expires_at'

interface DelegationRow {
  task_id: string
  idem_key: string
  profile: string
  namespace: string | null
  args: string
  status: string
  progress: string | null
  output: string | null
  error: string | null
  cost_usd: number | string | null
  attempts: number | string
  version: number | string
  created_at: number | string
  started_at: number | string | null
  completed_at: number | string | null
  updated_at: number | string
  lease_owner: string | null
  lease_expires_at: number | string | null
}

interface FeedbackRow {
  body: string
}

// PostgreSQL returns BIGINT as a string; SQLite may hand back bigint for large values.
const num = (v: number | string | bigint): number => Number(v)
const optNum = (v: number | string | bigint | null): number | undefined => (v === null || v === undefined ? undefined : Number(v))

function fromRow(row: DelegationRow): DelegationRecord {
  const record: DelegationRecord = {
    taskId: row.task_id,
    idempotencyKey: row.idem_key,
    profile: row.profile as DelegationRecord['profile'],
    args: JSON.parse(row.args),
    status: row.status as DelegationRecord['status'],
    attempts: num(row.attempts),
    version: num(row.version),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  }
  if (row.namespace !== null) record.namespace = row.namespace
  if (row.progress !== null) record.progress = JSON.parse(row.progress)
  if (row.output !== null) record.output = JSON.parse(row.output)
  if (row.error !== null) record.error = JSON.parse(row.error)
  const cost = optNum(row.cost_usd)
  if (cost !== undefined) record.costUsd = cost
  const started = optNum(row.started_at)
  if (started !== undefined) record.startedAt = started
  const completed = optNum(row.completed_at)
  if (completed !== undefined) record.completedAt = completed
  if (row.lease_owner !== null) record.leaseOwner = row.lease_owner
  const lease = optNum(row.lease_expires_at)
  if (lease !== undefined) record.leaseExpiresAt = lease
  return record
}

/**
 * A {@link DelegationStore} over any `SqlAdapter` (better-sqlite3,
 * node-postgres, D1): `${prefix}_delegations` (one row per delegation, unique
 * idempotency key) and `${prefix}_feedback` (append-only). Every transition
 * is one conditional UPDATE on the state it leaves and the version it read,
 * so two writers never both win.
 * @experimental
 * @example
 * const store = new SqlDelegationStore(betterSqlite3ToSqlAdapter(new Database('.agent-runtime/delegations.db')))
 * await store.migrate()
 */
export class SqlDelegationStore implements DelegationStore {
  private readonly db: SqlAdapter
  private readonly table: string
  private readonly feedbackTable: string
  private readonly onClose?: () => Promise<void> | void

  constructor(db: SqlAdapter, prefix = 'agent_runtime', options: { onClose?: () => Promise<void> | void } = {}) {
    if (!db || typeof db.exec !== 'function' || typeof db.query !== 'function') {
      throw new ValidationError('SqlDelegationStore: expected a SqlAdapter ({ exec, query, dialect }); wrap your driver with betterSqlite3ToSqlAdapter or pgToSqlAdapter.')
    }
    if (!TABLE_PREFIX.test(prefix)) {
      throw new ValidationError(`SqlDelegationStore: table prefix ${JSON.stringify(prefix)} is not a plain SQL identifier; use letters, digits and underscores, starting with a letter.`)
    }
    this.db = db
    this.table = `${prefix}_delegations`
    this.feedbackTable = `${prefix}_feedback`
    this.onClose = options.onClose
  }

  async migrate(): Promise<void> {
    // Processes starting together (scale-out workers) race on CREATE … IF NOT EXISTS in PostgreSQL's catalog; the loser retries.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.createTables()
      } catch (err) {
        const code = (err as { code?: string }).code
        if (attempt >= 3 || (code !== '23505' && code !== '42P07' && code !== '42701')) throw err
      }
    }
  }

  private async createTables(): Promise<void> {
    const real = sqlColumnTypes(await sqlDialect(this.db)).double
    await this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${this.table} (task_id TEXT PRIMARY KEY, idem_key TEXT NOT NULL UNIQUE, profile TEXT NOT NULL, namespace TEXT, args TEXT NOT NULL, status TEXT NOT NULL, progress TEXT, output TEXT, error TEXT, cost_usd ${real}, attempts INTEGER NOT NULL, version INTEGER NOT NULL, created_at BIGINT NOT NULL, started_at BIGINT, completed_at BIGINT, updated_at BIGINT NOT NULL, lease_owner TEXT, lease_expires_at BIGINT)`,
    )
    await this.addLeaseColumns()
    await this.db.exec(`CREATE INDEX IF NOT EXISTS ${this.table}_created ON ${this.table} (created_at)`)
    await this.db.exec(`CREATE INDEX IF NOT EXISTS ${this.table}_status ON ${this.table} (status)`)
    await this.db.exec(
      `CREATE TABLE IF NOT EXISTS ${this.feedbackTable} (id TEXT PRIMARY KEY, task_id TEXT, recorded_at BIGINT NOT NULL, body TEXT NOT NULL)`,
    )
    await this.db.exec(`CREATE INDEX IF NOT EXISTS ${this.feedbackTable}_task ON ${this.feedbackTable} (task_id)`)
  }

  /** Tables created before the scale-out lease existed get its two columns. */
  private async addLeaseColumns(): Promise<void> {
    if ((await sqlDialect(this.db)) === 'postgres') {
      await this.db.exec(`ALTER TABLE ${this.table} ADD COLUMN IF NOT EXISTS lease_owner TEXT, ADD COLUMN IF NOT EXISTS lease_expires_at BIGINT`)
      return
    }
    const cols = await this.db.query<{ name: string }>(`SELECT name FROM pragma_table_info('${this.table}')`)
    if (!cols.some((c) => c.name === 'lease_owner')) await this.db.exec(`ALTER TABLE ${this.table} ADD COLUMN lease_owner TEXT`)
    if (!cols.some((c) => c.name === 'lease_expires_at')) await this.db.exec(`ALTER TABLE ${this.table} ADD COLUMN lease_expires_at BIGINT`)
  }

  async submit(entry: NewDelegation): Promise<{ record: DelegationRecord; created: boolean }> {
    const changes = rowsAffected(
      await this.db.exec(
        `INSERT INTO ${this.table} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, 'pending', NULL, NULL, NULL, NULL, 0, 0, ?, NULL, NULL, ?, NULL, NULL) ON CONFLICT (idem_key) DO NOTHING`,
        [entry.taskId, entry.idempotencyKey, entry.profile, entry.namespace ?? null, JSON.stringify(entry.args), entry.createdAt, entry.createdAt],
      ),
    )
    const rows = await this.db.query<DelegationRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE idem_key = ?`, [entry.idempotencyKey])
    return { record: fromRow(rows[0]!), created: changes > 0 }
  }

  async get(taskId: string): Promise<DelegationRecord | undefined> {
    const rows = await this.db.query<DelegationRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE task_id = ?`, [taskId])
    return rows[0] ? fromRow(rows[0]) : undefined
  }

  async list(filter: DelegationListFilter): Promise<DelegationRecord[]> {
    const where: string[] = []
    const params: unknown[] = []
    if (filter.namespace !== undefined) {
      where.push('namespace = ?')
      params.push(filter.namespace)
    }
    if (filter.profile !== undefined) {
      where.push('profile = ?')
      params.push(filter.profile)
    }
    if (filter.since !== undefined) {
      where.push('created_at >= ?')
      params.push(filter.since)
    }
    params.push(filter.limit)
    const rows = await this.db.query<DelegationRow>(
      `SELECT ${COLUMNS} FROM ${this.table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, task_id DESC LIMIT ?`,
      params,
    )
    return rows.map(fromRow)
  }

  async start(taskId: string, version: number, at: number, lease?: DelegationLease): Promise<DelegationRecord | undefined> {
    const changes = rowsAffected(
      await this.db.exec(
        `UPDATE ${this.table} SET status = 'running', version = version + 1, attempts = attempts + 1, started_at = ?, updated_at = ?, lease_owner = ?, lease_expires_at = ? WHERE task_id = ? AND status = 'pending' AND version = ?`,
        [at, at, lease?.owner ?? null, lease?.expiresAt ?? null, taskId, version],
      ),
    )
    return changes > 0 ? this.get(taskId) : undefined
  }

  async heartbeat(taskId: string, version: number, expiresAt: number, at: number): Promise<boolean> {
    const changes = rowsAffected(
      await this.db.exec(
        `UPDATE ${this.table} SET lease_expires_at = ?, updated_at = ? WHERE task_id = ? AND status = 'running' AND version = ? AND lease_expires_at IS NOT NULL`,
        [expiresAt, at, taskId, version],
      ),
    )
    return changes > 0
  }

  async reclaimExpired(at: number, maxAttempts: number): Promise<DelegationReclaim> {
    const expired = await this.db.query<DelegationRow>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE status = 'running' AND lease_expires_at IS NOT NULL AND lease_expires_at < ? ORDER BY created_at, task_id`,
      [at],
    )
    const out: DelegationReclaim = { requeued: [], failed: [] }
    for (const row of expired.map(fromRow)) {
      // Each row moves only if nobody touched it since the read (same version, still expired).
      const retry = row.attempts < maxAttempts
      const error = retry ? null : JSON.stringify({ message: `the worker running this delegation stopped heartbeating ${row.attempts} times`, kind: 'interrupted' })
      const changes = rowsAffected(
        await this.db.exec(
          `UPDATE ${this.table} SET status = ?, error = COALESCE(?, error), version = version + 1, lease_owner = NULL, lease_expires_at = NULL, completed_at = ?, updated_at = ? WHERE task_id = ? AND status = 'running' AND version = ? AND lease_expires_at < ?`,
          [retry ? 'pending' : 'failed', error, retry ? null : at, at, row.taskId, row.version, at],
        ),
      )
      if (changes === 0) continue
      const after = await this.get(row.taskId)
      if (after) (retry ? out.requeued : out.failed).push(after)
    }
    return out
  }

  async progress(taskId: string, version: number, update: { progress?: DelegationRecord['progress']; costUsd?: number }, at: number): Promise<boolean> {
    const changes = rowsAffected(
      await this.db.exec(
        `UPDATE ${this.table} SET progress = COALESCE(?, progress), cost_usd = COALESCE(?, cost_usd), updated_at = ? WHERE task_id = ? AND status = 'running' AND version = ?`,
        [update.progress ? JSON.stringify(update.progress) : null, update.costUsd ?? null, at, taskId, version],
      ),
    )
    return changes > 0
  }

  async finish(taskId: string, version: number, outcome: Parameters<DelegationStore['finish']>[2], at: number): Promise<boolean> {
    const output = outcome.status === 'completed' ? JSON.stringify(outcome.output ?? null) : null
    const error = outcome.status === 'failed' ? JSON.stringify(outcome.error) : null
    const changes = rowsAffected(
      await this.db.exec(
        `UPDATE ${this.table} SET status = ?, output = ?, error = ?, cost_usd = COALESCE(?, cost_usd), version = version + 1, completed_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE task_id = ? AND status = 'running' AND version = ?`,
        [outcome.status, output, error, outcome.costUsd ?? null, at, at, taskId, version],
      ),
    )
    return changes > 0
  }

  async cancel(taskId: string, at: number): Promise<DelegationRecord | undefined> {
    const error = JSON.stringify({ message: 'cancelled by delegation_cancel', kind: 'cancelled' })
    await this.db.exec(
      `UPDATE ${this.table} SET status = 'cancelled', error = ?, version = version + 1, completed_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE task_id = ? AND status IN ('pending', 'running')`,
      [error, at, at, taskId],
    )
    return this.get(taskId)
  }

  async recover(mode: DelegationRecoveryMode, at: number): Promise<DelegationRecovery> {
    const error = JSON.stringify({ message: 'the server stopped while this delegation was running', kind: 'interrupted' })
    // A live process (a local run or a scale-out worker) keeps its lease ahead of the clock: only unleased or expired rows are orphans.
    const orphan = `status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ?)`
    const running = await this.db.query<{ task_id: string }>(`SELECT task_id FROM ${this.table} WHERE ${orphan}`, [at])
    const ids = running.map((r) => r.task_id)
    if (mode === 'rerun') {
      // Re-queue once: a delegation already re-run (attempts >= 2) fails instead.
      await this.db.exec(
        `UPDATE ${this.table} SET status = 'pending', version = version + 1, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE ${orphan} AND attempts < 2`,
        [at, at],
      )
    }
    await this.db.exec(
      `UPDATE ${this.table} SET status = 'failed', error = ?, version = version + 1, completed_at = ?, updated_at = ?, lease_owner = NULL, lease_expires_at = NULL WHERE ${orphan}`,
      [error, at, at, at],
    )
    const interrupted: DelegationRecord[] = []
    for (const id of ids) {
      const r = await this.get(id)
      if (r?.status === 'failed') interrupted.push(r)
    }
    const pending = await this.db.query<DelegationRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE status = 'pending' ORDER BY created_at, task_id`)
    return { interrupted, runnable: pending.map(fromRow) }
  }

  async purgeTerminal(before: number): Promise<number> {
    const changes = rowsAffected(
      await this.db.exec(
        `DELETE FROM ${this.table} WHERE status IN ('completed', 'failed', 'cancelled') AND COALESCE(completed_at, updated_at) < ?`,
        [before],
      ),
    )
    return changes
  }

  async appendFeedback(entry: FeedbackRecord): Promise<void> {
    await this.db.exec(`INSERT INTO ${this.feedbackTable} (id, task_id, recorded_at, body) VALUES (?, ?, ?, ?)`, [
      entry.id,
      entry.refersTo.kind === 'delegation' ? entry.refersTo.ref : null,
      entry.recordedAt,
      JSON.stringify(entry),
    ])
  }

  async feedbackForDelegations(taskIds: readonly string[]): Promise<FeedbackRecord[]> {
    if (taskIds.length === 0) return []
    const marks = taskIds.map(() => '?').join(', ')
    const rows = await this.db.query<FeedbackRow>(
      `SELECT body FROM ${this.feedbackTable} WHERE task_id IN (${marks}) ORDER BY recorded_at, id`,
      [...taskIds],
    )
    return rows.map((r) => JSON.parse(r.body) as FeedbackRecord)
  }

  async close(): Promise<void> {
    await this.onClose?.()
  }
}
