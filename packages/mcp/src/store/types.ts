/**
 * The delegation store contract: every delegation the server accepted, its
 * state, result and error, plus append-only feedback. One contract, three
 * implementations (memory, and SQLite/PostgreSQL over `SqlAdapter`), one
 * conformance suite.
 *
 * Each record carries a `version` fence. Every transition is conditional on
 * the state it leaves (and, for a worker's own writes, on the version it
 * read), so a cancel or a recovery that bumped the version makes a stale
 * worker's late write a no-op. A later lease/heartbeat for multi-process
 * workers adds columns on top of this without changing the rules.
 */
import type { DelegationProgress } from '../contracts.js'

/** Which delegate a record belongs to. @experimental */
export type DelegationProfile = 'coder' | 'researcher'

/** Life cycle of a delegation. @experimental */
export type DelegationStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled'

/** States a delegation never leaves. @experimental */
export const TERMINAL_DELEGATION_STATUSES: readonly DelegationStatus[] = ['completed', 'failed', 'cancelled']

/** Why a delegation failed or stopped: `delegate` (it threw), `interrupted` (the process died), `cancelled`. @experimental */
export interface DelegationError {
  message: string
  kind: 'delegate' | 'interrupted' | 'cancelled' | (string & {})
}

/** One delegation as stored. Times are epoch milliseconds. @experimental */
export interface DelegationRecord {
  taskId: string
  /** Hash of the canonical arguments; identical inputs share one record. */
  idempotencyKey: string
  profile: DelegationProfile
  namespace?: string
  /** The validated tool arguments, kept so a restart can run the delegation again. */
  args: Record<string, unknown>
  status: DelegationStatus
  progress?: DelegationProgress
  /** The delegate's return value, when completed. */
  output?: unknown
  error?: DelegationError
  costUsd?: number
  /** Times the delegation was started (1 on the first run; a recovery re-run makes it 2). */
  attempts: number
  /** Fence: bumped by every transition; conditional writes name the version they read. */
  version: number
  createdAt: number
  startedAt?: number
  completedAt?: number
  updatedAt: number
  /** Scale-out lease: the worker running it (`host:pid:…`), set by a leased {@link DelegationStore.start}. */
  leaseOwner?: string
  /** Scale-out lease: when the lease runs out unless a heartbeat extends it (epoch ms). */
  leaseExpiresAt?: number
}

/** A worker's claim on a delegation it starts (scale-out); see {@link DelegationStore.heartbeat}. @experimental */
export interface DelegationLease {
  owner: string
  expiresAt: number
}

/** Outcome of {@link DelegationStore.reclaimExpired}. @experimental */
export interface DelegationReclaim {
  /** Put back to `pending` (version bumped, lease cleared): enqueue them again. */
  requeued: DelegationRecord[]
  /** Failed with `error.kind: 'interrupted'`: they had used up their attempts. */
  failed: DelegationRecord[]
}

/** What a delegation is filed under when it is submitted. @experimental */
export interface NewDelegation {
  taskId: string
  idempotencyKey: string
  profile: DelegationProfile
  namespace?: string
  args: Record<string, unknown>
  createdAt: number
}

/** Filter of {@link DelegationStore.list}. @experimental */
export interface DelegationListFilter {
  namespace?: string
  profile?: DelegationProfile
  /** Only delegations created at or after this time (epoch ms). */
  since?: number
  /** Most rows returned, newest first. */
  limit: number
}

/** What a feedback entry refers to. @experimental */
export interface FeedbackRef {
  kind: 'delegation' | 'artifact' | 'outcome'
  ref: string
}

/** A rating an agent, a user or a downstream judge gave. @experimental */
export interface FeedbackRecord {
  id: string
  refersTo: FeedbackRef
  rating: { score: number; label?: 'good' | 'bad' | 'neutral' | 'mixed'; notes: string }
  by: 'agent' | 'user' | 'downstream-judge'
  namespace?: string
  /** When the rating was made (ISO-8601, caller-supplied or the server's time). */
  capturedAt: string
  /** When the server recorded it (epoch ms). */
  recordedAt: number
}

/** Append-only feedback storage; the delegation store is one, a caller may pass another. @experimental */
export interface FeedbackStore {
  /** Appends one entry. Entries are never changed or removed. */
  appendFeedback(entry: FeedbackRecord): Promise<void>
  /** Entries about the given delegations, oldest first. */
  feedbackForDelegations(taskIds: readonly string[]): Promise<FeedbackRecord[]>
}

/** What to do with delegations found `running` at startup (their process died). @experimental */
export type DelegationRecoveryMode = 'fail' | 'rerun'

/** Outcome of {@link DelegationStore.recover}. @experimental */
export interface DelegationRecovery {
  /** Records marked `failed` with `error.kind: 'interrupted'`. */
  interrupted: DelegationRecord[]
  /** Records to run now: still `pending`, or re-queued by `rerun` (at most once per delegation). */
  runnable: DelegationRecord[]
}

/**
 * Durable state of the delegation server.
 * @experimental
 */
export interface DelegationStore extends FeedbackStore {
  /** Creates tables when absent. Idempotent. */
  migrate(): Promise<void>
  /** Files a delegation unless one with the same idempotency key exists; returns the stored one either way. */
  submit(entry: NewDelegation): Promise<{ record: DelegationRecord; created: boolean }>
  get(taskId: string): Promise<DelegationRecord | undefined>
  /** Newest first (creation time, then task id). */
  list(filter: DelegationListFilter): Promise<DelegationRecord[]>
  /** `pending` → `running` when the version still matches; undefined when another transition won. A `lease` marks it as a scale-out worker's. */
  start(taskId: string, version: number, at: number, lease?: DelegationLease): Promise<DelegationRecord | undefined>
  /** Extends the lease of a running delegation to `expiresAt` when the version still matches; false when the worker lost it (reclaimed, cancelled, finished). */
  heartbeat(taskId: string, version: number, expiresAt: number, at: number): Promise<boolean>
  /**
   * The sweeper: every `running` delegation whose lease ran out before `at`
   * goes back to `pending` with a new version (so the old worker's writes are
   * refused), or fails (`interrupted`) once it has started `maxAttempts` times.
   */
  reclaimExpired(at: number, maxAttempts: number): Promise<DelegationReclaim>
  /** Records progress and spend of a running delegation; false when the version moved on. */
  progress(taskId: string, version: number, update: { progress?: DelegationProgress; costUsd?: number }, at: number): Promise<boolean>
  /** `running` → `completed` or `failed` when the version still matches; false when it moved on (cancelled, recovered). */
  finish(
    taskId: string,
    version: number,
    outcome: { status: 'completed'; output: unknown; costUsd?: number } | { status: 'failed'; error: DelegationError; costUsd?: number },
    at: number,
  ): Promise<boolean>
  /** Any non-terminal state → `cancelled`, whatever the version; returns the record after the call. */
  cancel(taskId: string, at: number): Promise<DelegationRecord | undefined>
  /**
   * Startup recovery: `running` rows without a lease, or whose lease ran out
   * before `at`, belonged to a dead process (a live one keeps its lease ahead
   * by heartbeats). `fail` marks
   * them failed (`interrupted`); `rerun` re-queues those not yet re-run and
   * fails the rest. Pending rows are returned to be run.
   */
  recover(mode: DelegationRecoveryMode, at: number): Promise<DelegationRecovery>
  /** Deletes terminal delegations completed before `before` (epoch ms); resolves with the count. Feedback stays. */
  purgeTerminal(before: number): Promise<number>
  /** Releases connections the store opened itself. */
  close(): Promise<void>
}
