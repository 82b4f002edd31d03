/**
 * The delegation manager: files delegations in the store, runs them on their
 * delegate with a concurrency cap, lets callers wait for a state change, and
 * cancels. The store is the truth; this process only holds the running
 * promises, their abort controllers and the waiters.
 */
import { createHash } from 'node:crypto'
import {
  type Clock,
  canonicalJson,
  errorMessage,
  NotFoundError,
  randomBase36,
  systemClock,
} from '@tangle-network/agent-runtime-core'
import type { DelegationProgress } from './contracts.js'
import type { DelegationDispatcher } from './dispatch.js'
import type { DelegationProfile, DelegationRecord, DelegationRecoveryMode, DelegationStore } from './store/types.js'
import { TERMINAL_DELEGATION_STATUSES } from './store/types.js'

/** Runs one delegation; what the manager needs from a delegate. @internal */
export type DelegationRunner = (
  args: Record<string, unknown>,
  ctx: { signal: AbortSignal; report(p: DelegationProgress): void; addCost(usd: number): void },
) => Promise<unknown>

/** Default days terminal delegations are kept. @experimental */
export const DEFAULT_DELEGATION_RETAIN_DAYS = 30
/** Longest `delegation_status` wait, in ms (under the 60 s default request timeout of MCP clients). @experimental */
export const MAX_STATUS_WAIT_MS = 50_000
const DAY_MS = 86_400_000
const PURGE_EVERY_MS = 3_600_000

/** Options of {@link DelegationManager}. @internal */
export interface DelegationManagerOptions {
  store: DelegationStore
  runners: Partial<Record<DelegationProfile, DelegationRunner>>
  maxConcurrency?: number
  recover?: DelegationRecoveryMode
  retainDays?: number
  now?: Clock
  newTaskId?: () => string
  /** Longest `stop()` waits for aborted delegates to return, in ms. Default 10 000. */
  stopGraceMs?: number
  /** Where to report errors that have no caller (a failed background write). */
  onError?: (message: string) => void
  /** How long a local run's lease lasts without a heartbeat, in ms; another process's startup recovery leaves it alone until then. Default 30 000. */
  leaseMs?: number
  /** How often a local run extends its lease, in ms. Default a third of `leaseMs`. */
  heartbeatMs?: number
  /** Lease owner written on local runs. Default `local:<random>`. */
  leaseOwner?: string
  /** Scale-out: queue delegations here instead of running them in this process (no local runs, no startup recovery). */
  dispatcher?: DelegationDispatcher
}

/**
 * The idempotency key of a delegation: SHA-256 of the canonical JSON of its
 * profile and arguments (keys sorted, `undefined` dropped, array order kept).
 * @experimental
 * @example
 * delegationKey('coder', { goal: 'fix', repoRoot: '/r', variants: 1 }) // 64 hex chars
 */
export function delegationKey(profile: DelegationProfile, args: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson({ profile, ...args })).digest('hex')
}

/**
 * A new task id: `dlg-<time base36>-<8 random base36>`.
 * @experimental
 * @example
 * newDelegationId() // 'dlg-mi3k2x1a-0f9k2m1z'
 */
export function newDelegationId(now: Clock = systemClock): string {
  return `dlg-${now().toString(36)}-${randomBase36(8)}`
}

const isTerminal = (r: DelegationRecord): boolean => TERMINAL_DELEGATION_STATUSES.includes(r.status)

/** @internal */
export class DelegationManager {
  private readonly store: DelegationStore
  private readonly runners: DelegationManagerOptions['runners']
  private readonly maxConcurrency: number
  private readonly now: Clock
  private readonly newTaskId: () => string
  private readonly onError: (message: string) => void
  private readonly recoverMode: DelegationRecoveryMode
  private readonly retainDays: number
  private readonly queue: string[] = []
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void>; version?: number }>()
  private readonly statusWaiters = new Map<string, Set<() => void>>()
  private readonly progressListeners = new Map<string, Set<(p: DelegationProgress) => void>>()
  private stopped = false
  private readonly stopGraceMs: number
  private purgeTimer?: ReturnType<typeof setInterval>
  private waits = 0
  private started?: Promise<void>
  private readonly dispatcher?: DelegationDispatcher
  private unsubscribe?: () => void
  private readonly leaseMs: number
  private readonly heartbeatMs: number
  private readonly leaseOwner: string

  constructor(options: DelegationManagerOptions) {
    this.dispatcher = options.dispatcher
    this.store = options.store
    this.runners = options.runners
    this.maxConcurrency = options.maxConcurrency ?? 4
    this.now = options.now ?? systemClock
    this.newTaskId = options.newTaskId ?? (() => newDelegationId(this.now))
    this.onError = options.onError ?? (() => {})
    this.recoverMode = options.recover ?? 'fail'
    this.retainDays = options.retainDays ?? DEFAULT_DELEGATION_RETAIN_DAYS
    this.stopGraceMs = options.stopGraceMs ?? 10_000
    this.leaseMs = options.leaseMs ?? 30_000
    this.heartbeatMs = options.heartbeatMs ?? Math.max(1, Math.floor(this.leaseMs / 3))
    this.leaseOwner = options.leaseOwner ?? `local:${randomBase36(10)}`
  }

  /** Migrates the store, purges expired records, recovers a dead process's work. Idempotent. */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.store.migrate()
      await this.purge()
      // A long-lived server keeps purging; unref'd so it never holds the process open.
      this.purgeTimer = setInterval(() => {
        this.purge().catch((err) => this.onError(`purging expired delegations failed: ${errorMessage(err)}`))
      }, PURGE_EVERY_MS)
      ;(this.purgeTimer as { unref?: () => void }).unref?.()
      if (this.dispatcher) {
        // Workers own running rows (leases and the sweeper recover them); status waits wake on their notifications.
        this.unsubscribe = await this.dispatcher.onStatusChange?.((taskId) => this.notifyStatus(taskId))
        return
      }
      const { runnable } = await this.store.recover(this.recoverMode, this.now())
      for (const r of runnable) this.enqueue(r.taskId)
    })()
    return this.started
  }

  /** Delegations running and queued in this process, and `delegation_status` calls waiting. */
  stats(): { running: number; queued: number; waiting: number } {
    return { running: this.running.size, queued: this.queue.length, waiting: this.waits }
  }

  get isStopped(): boolean {
    return this.stopped
  }

  async submit(profile: DelegationProfile, args: Record<string, unknown>): Promise<{ record: DelegationRecord; created: boolean }> {
    await this.start()
    const namespace = typeof args.namespace === 'string' ? args.namespace : undefined
    const res = await this.store.submit({
      taskId: this.newTaskId(),
      idempotencyKey: delegationKey(profile, args),
      profile,
      ...(namespace !== undefined ? { namespace } : {}),
      args,
      createdAt: this.now(),
    })
    if (this.dispatcher) {
      // A duplicate submit re-queues a still-pending one: same job key, so still one job, and a crash between insert and queue loses nothing.
      if (res.record.status === 'pending') await this.dispatcher.enqueue(res.record)
    } else if (res.created) this.enqueue(res.record.taskId)
    return res
  }

  async get(taskId: string): Promise<DelegationRecord> {
    await this.start()
    const r = await this.store.get(taskId)
    if (!r) {
      throw new NotFoundError(`unknown taskId ${JSON.stringify(taskId)}: no delegation has this id (ids look like dlg-…; terminal ones are purged after ${this.retainDays} days)`)
    }
    return r
  }

  /**
   * Resolves with the record once its status differs from the one seen at the
   * call, or after `waitMs`, or when `signal` aborts. `onProgress` hears every
   * progress report meanwhile.
   */
  async wait(taskId: string, waitMs: number, signal?: AbortSignal, onProgress?: (p: DelegationProgress) => void): Promise<DelegationRecord> {
    let wake: () => void = () => {}
    const woken = new Promise<void>((resolve) => {
      wake = resolve
    })
    // Listen before reading, so a change between the read and the wait is not missed.
    const waiters = this.setOf(this.statusWaiters, taskId)
    waiters.add(wake)
    const listeners = this.setOf(this.progressListeners, taskId)
    if (onProgress) listeners.add(onProgress)
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const first = await this.get(taskId)
      if (isTerminal(first) || waitMs <= 0 || signal?.aborted || this.stopped) return first
      timer = setTimeout(wake, Math.min(waitMs, MAX_STATUS_WAIT_MS))
      signal?.addEventListener('abort', wake, { once: true })
      // Every wake-up (status change, timeout, abort, stop) ends the wait.
      this.waits++
      try {
        await woken
      } finally {
        this.waits--
      }
      return await this.get(taskId)
    } finally {
      if (timer) clearTimeout(timer)
      signal?.removeEventListener('abort', wake)
      this.dropFrom(this.statusWaiters, taskId, wake)
      if (onProgress) this.dropFrom(this.progressListeners, taskId, onProgress)
    }
  }

  async cancel(taskId: string): Promise<{ record: DelegationRecord; cancelled: boolean }> {
    const before = await this.get(taskId)
    if (isTerminal(before)) return { record: before, cancelled: false }
    const record = (await this.store.cancel(taskId, this.now()))!
    const run = this.running.get(taskId)
    run?.controller.abort(new Error(`delegation ${taskId} cancelled`))
    if (this.dispatcher && record.status === 'cancelled') await this.dispatcher.cancel(taskId)
    this.notifyStatus(taskId)
    return { record, cancelled: record.status === 'cancelled' && !isTerminal(before) }
  }

  async list(filter: Parameters<DelegationStore['list']>[0]): Promise<DelegationRecord[]> {
    await this.start()
    return this.store.list(filter)
  }

  /** Stops taking work and aborts running delegations; their rows stay `running` for the next start's recovery. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.purgeTimer) clearInterval(this.purgeTimer)
    this.unsubscribe?.()
    this.queue.length = 0
    for (const { controller } of this.running.values()) controller.abort(new Error('the delegation server is stopping'))
    // A delegate that ignores its signal must not keep the process from stopping.
    let timer: ReturnType<typeof setTimeout> | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.stopGraceMs)
    })
    await Promise.race([Promise.allSettled([...this.running.values()].map((r) => r.done)), grace])
    clearTimeout(timer)
    // Delegates still running past the grace: expire their leases so the next start recovers them at once.
    await Promise.allSettled([...this.running].map(([taskId, r]) => (r.version === undefined ? undefined : this.releaseLease(taskId, r.version))))
    for (const set of this.statusWaiters.values()) for (const wake of set) wake()
  }

  private purge(): Promise<number> {
    return this.store.purgeTerminal(this.now() - this.retainDays * DAY_MS)
  }

  private setOf<T>(map: Map<string, Set<T>>, key: string): Set<T> {
    let set = map.get(key)
    if (!set) {
      set = new Set()
      map.set(key, set)
    }
    return set
  }

  /** Expires this process's lease on a row it leaves `running`, so the next startup recovery takes it. */
  private async releaseLease(taskId: string, version: number): Promise<void> {
    await this.store.heartbeat(taskId, version, this.now() - 1, this.now())
  }

  private notifyStatus(taskId: string): void {
    for (const wake of this.statusWaiters.get(taskId) ?? []) wake()
  }

  private dropFrom<T>(map: Map<string, Set<T>>, key: string, item: T): void {
    const set = map.get(key)
    if (!set) return
    set.delete(item)
    if (set.size === 0) map.delete(key)
  }

  private enqueue(taskId: string): void {
    if (this.stopped) return
    this.queue.push(taskId)
    this.pump()
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.maxConcurrency && this.queue.length > 0) {
      const taskId = this.queue.shift()!
      const controller = new AbortController()
      const entry = { controller, done: Promise.resolve() }
      this.running.set(taskId, entry)
      entry.done = this.run(taskId, controller)
        .catch((err) => this.onError(`delegation ${taskId}: ${errorMessage(err)}`))
        .finally(() => {
          this.running.delete(taskId)
          this.progressListeners.delete(taskId)
          this.pump()
        })
    }
  }

  private async run(taskId: string, controller: AbortController): Promise<void> {
    const pending = await this.store.get(taskId)
    if (pending?.status !== 'pending') return
    const record = await this.store.start(taskId, pending.version, this.now(), { owner: this.leaseOwner, expiresAt: this.now() + this.leaseMs })
    if (!record) return
    const entry = this.running.get(taskId)
    if (entry) entry.version = record.version
    this.notifyStatus(taskId)
    // The heartbeat keeps other processes on the same store (their startup recovery) off this run.
    let beating: Promise<unknown> = Promise.resolve()
    const heartbeat = setInterval(() => {
      beating = beating
        .then(() => this.store.heartbeat(taskId, record.version, this.now() + this.leaseMs, this.now()))
        .then((kept) => {
          if (!kept && !controller.signal.aborted) controller.abort(new Error(`delegation ${taskId} was cancelled or recovered outside this process`))
        })
        .catch((err) => this.onError(`delegation ${taskId}: lease not extended: ${errorMessage(err)}`))
    }, this.heartbeatMs)
    ;(heartbeat as { unref?: () => void }).unref?.()
    const runner = this.runners[record.profile]
    let cost: number | undefined
    let writes: Promise<unknown> = Promise.resolve()
    // Progress writes are chained so an older report never overwrites a newer one.
    const persist = (update: { progress?: DelegationProgress; costUsd?: number }) => {
      writes = writes
        .then(() => this.store.progress(taskId, record.version, update, this.now()))
        .then((saved) => {
          // A refused write means the row left `running` elsewhere (a cancel from the loop console or another process): stop the work.
          if (!saved && !controller.signal.aborted) controller.abort(new Error(`delegation ${taskId} was cancelled or recovered outside this process`))
        })
        .catch((err) => this.onError(`delegation ${taskId}: progress not saved: ${errorMessage(err)}`))
    }
    const ctx = {
      signal: controller.signal,
      report: (p: DelegationProgress) => {
        if (controller.signal.aborted) return
        const progress = { iteration: p.iteration, phase: p.phase }
        persist({ progress })
        for (const listen of this.progressListeners.get(taskId) ?? []) listen(progress)
      },
      addCost: (usd: number) => {
        if (!Number.isFinite(usd) || usd < 0 || controller.signal.aborted) return
        cost = (cost ?? 0) + usd
        persist({ costUsd: cost })
      },
    }
    let outcome: Parameters<DelegationStore['finish']>[2]
    try {
      if (!runner) throw new Error(`no ${record.profile} delegate is configured on this server`)
      const output = await runner(record.args, ctx)
      outcome = { status: 'completed', output: output ?? null, ...(cost !== undefined ? { costUsd: cost } : {}) }
    } catch (err) {
      outcome = { status: 'failed', error: { message: errorMessage(err), kind: 'delegate' }, ...(cost !== undefined ? { costUsd: cost } : {}) }
    } finally {
      clearInterval(heartbeat)
    }
    await beating
    await writes
    // A failure caused by stopping leaves the row `running` (lease expired): the next start applies the recovery policy to it.
    // A delegate that already returned its output is written whatever happens.
    if (this.stopped && outcome.status !== 'completed') {
      await this.releaseLease(taskId, record.version)
      return
    }
    // A cancel bumped the version: this late write is refused and the record stays cancelled.
    await this.store.finish(taskId, record.version, outcome, this.now())
    this.notifyStatus(taskId)
  }
}
