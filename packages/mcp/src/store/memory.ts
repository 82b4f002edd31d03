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
import { TERMINAL_DELEGATION_STATUSES } from './types.js'

const isTerminal = (r: DelegationRecord): boolean => TERMINAL_DELEGATION_STATUSES.includes(r.status)

/**
 * A {@link DelegationStore} in process memory: for tests and embedded use.
 * A restart loses everything; use {@link SqlDelegationStore} to keep it.
 * Records handed out are copies, so callers cannot change stored state.
 * @experimental
 * @example
 * const server = createMcpServer({ coderDelegate, store: new InMemoryDelegationStore() })
 */
export class InMemoryDelegationStore implements DelegationStore {
  private readonly rows = new Map<string, DelegationRecord>()
  private readonly byKey = new Map<string, string>()
  private readonly feedback: FeedbackRecord[] = []

  async migrate(): Promise<void> {}

  async submit(entry: NewDelegation): Promise<{ record: DelegationRecord; created: boolean }> {
    const existing = this.byKey.get(entry.idempotencyKey)
    if (existing !== undefined) return { record: structuredClone(this.rows.get(existing)!), created: false }
    const record: DelegationRecord = {
      ...structuredClone(entry),
      status: 'pending',
      attempts: 0,
      version: 0,
      updatedAt: entry.createdAt,
    }
    if (record.namespace === undefined) delete record.namespace
    this.rows.set(entry.taskId, record)
    this.byKey.set(entry.idempotencyKey, entry.taskId)
    return { record: structuredClone(record), created: true }
  }

  async get(taskId: string): Promise<DelegationRecord | undefined> {
    const r = this.rows.get(taskId)
    return r ? structuredClone(r) : undefined
  }

  async list(filter: DelegationListFilter): Promise<DelegationRecord[]> {
    return [...this.rows.values()]
      .filter((r) => filter.namespace === undefined || r.namespace === filter.namespace)
      .filter((r) => filter.profile === undefined || r.profile === filter.profile)
      .filter((r) => filter.since === undefined || r.createdAt >= filter.since)
      .sort((a, b) => b.createdAt - a.createdAt || (a.taskId < b.taskId ? 1 : a.taskId > b.taskId ? -1 : 0))
      .slice(0, filter.limit)
      .map((r) => structuredClone(r))
  }

  async start(taskId: string, version: number, at: number, lease?: DelegationLease): Promise<DelegationRecord | undefined> {
    const r = this.rows.get(taskId)
    if (r?.status !== 'pending' || r.version !== version) return undefined
    r.status = 'running'
    r.version++
    r.attempts++
    r.startedAt = at
    r.updatedAt = at
    if (lease) {
      r.leaseOwner = lease.owner
      r.leaseExpiresAt = lease.expiresAt
    }
    return structuredClone(r)
  }

  async heartbeat(taskId: string, version: number, expiresAt: number, at: number): Promise<boolean> {
    const r = this.rows.get(taskId)
    if (r?.status !== 'running' || r.version !== version || r.leaseExpiresAt === undefined) return false
    r.leaseExpiresAt = expiresAt
    r.updatedAt = at
    return true
  }

  async reclaimExpired(at: number, maxAttempts: number): Promise<DelegationReclaim> {
    const out: DelegationReclaim = { requeued: [], failed: [] }
    for (const r of [...this.rows.values()].sort((a, b) => a.createdAt - b.createdAt)) {
      if (r.status !== 'running' || r.leaseExpiresAt === undefined || r.leaseExpiresAt >= at) continue
      r.version++
      r.updatedAt = at
      delete r.leaseOwner
      delete r.leaseExpiresAt
      if (r.attempts < maxAttempts) {
        r.status = 'pending'
        out.requeued.push(structuredClone(r))
      } else {
        r.status = 'failed'
        r.error = { message: `the worker running this delegation stopped heartbeating ${r.attempts} times`, kind: 'interrupted' }
        r.completedAt = at
        out.failed.push(structuredClone(r))
      }
    }
    return out
  }

  async progress(taskId: string, version: number, update: { progress?: DelegationRecord['progress']; costUsd?: number }, at: number): Promise<boolean> {
    const r = this.rows.get(taskId)
    if (r?.status !== 'running' || r.version !== version) return false
    if (update.progress) r.progress = { ...update.progress }
    if (update.costUsd !== undefined) r.costUsd = update.costUsd
    r.updatedAt = at
    return true
  }

  async finish(taskId: string, version: number, outcome: Parameters<DelegationStore['finish']>[2], at: number): Promise<boolean> {
    const r = this.rows.get(taskId)
    if (r?.status !== 'running' || r.version !== version) return false
    r.status = outcome.status
    if (outcome.status === 'completed') r.output = structuredClone(outcome.output)
    else r.error = { ...outcome.error }
    if (outcome.costUsd !== undefined) r.costUsd = outcome.costUsd
    r.version++
    r.completedAt = at
    r.updatedAt = at
    delete r.leaseOwner
    delete r.leaseExpiresAt
    return true
  }

  async cancel(taskId: string, at: number): Promise<DelegationRecord | undefined> {
    const r = this.rows.get(taskId)
    if (!r) return undefined
    if (!isTerminal(r)) {
      r.status = 'cancelled'
      r.error = { message: 'cancelled by delegation_cancel', kind: 'cancelled' }
      delete r.leaseOwner
      delete r.leaseExpiresAt
      r.version++
      r.completedAt = at
      r.updatedAt = at
    }
    return structuredClone(r)
  }

  async recover(mode: DelegationRecoveryMode, at: number): Promise<DelegationRecovery> {
    const interrupted: DelegationRecord[] = []
    const runnable: DelegationRecord[] = []
    for (const r of [...this.rows.values()].sort((a, b) => a.createdAt - b.createdAt)) {
      if (r.status === 'running' && (r.leaseExpiresAt === undefined || r.leaseExpiresAt < at)) {
        r.version++
        delete r.leaseOwner
        delete r.leaseExpiresAt
        r.updatedAt = at
        if (mode === 'rerun' && r.attempts < 2) {
          r.status = 'pending'
          runnable.push(structuredClone(r))
        } else {
          r.status = 'failed'
          r.error = { message: 'the server stopped while this delegation was running', kind: 'interrupted' }
          r.completedAt = at
          interrupted.push(structuredClone(r))
        }
      } else if (r.status === 'pending') runnable.push(structuredClone(r))
    }
    return { interrupted, runnable }
  }

  async purgeTerminal(before: number): Promise<number> {
    let n = 0
    for (const [id, r] of this.rows) {
      if (isTerminal(r) && (r.completedAt ?? r.updatedAt) < before) {
        this.rows.delete(id)
        this.byKey.delete(r.idempotencyKey)
        n++
      }
    }
    return n
  }

  async appendFeedback(entry: FeedbackRecord): Promise<void> {
    this.feedback.push(structuredClone(entry))
  }

  async feedbackForDelegations(taskIds: readonly string[]): Promise<FeedbackRecord[]> {
    const wanted = new Set(taskIds)
    return this.feedback.filter((f) => f.refersTo.kind === 'delegation' && wanted.has(f.refersTo.ref)).map((f) => structuredClone(f))
  }

  async close(): Promise<void> {}
}
