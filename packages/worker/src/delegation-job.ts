/**
 * Running one delegation under a lease: start it with a lease, heartbeat it,
 * abort when the lease is lost or a cancel arrives, and write the result only
 * if the fence (the version the start returned) is still current.
 */
import { type Clock, errorMessage } from '@tangle-network/agent-runtime-core'
import type { DelegationProgress, DelegationProfile, DelegationStore } from '@tangle-network/agent-runtime-mcp'

/** Runs one delegation; what a worker needs from a delegate. @experimental */
export type WorkerDelegate = (
  args: Record<string, unknown>,
  ctx: { signal: AbortSignal; report(p: DelegationProgress): void; addCost(usd: number): void },
) => Promise<unknown>

/** What happened to one delegation job. @experimental */
export type DelegationJobOutcome =
  /** The row was not pending (done, cancelled, or running elsewhere): nothing to do. */
  | 'skipped'
  | 'completed'
  | 'failed'
  /** The fence moved on (cancelled, or the lease was lost and reclaimed): the result was not written. */
  | 'fenced'
  /** The worker is stopping: the lease was expired so the sweeper hands it to another worker. */
  | 'released'

/** @internal */
export interface DelegationJobContext {
  store: DelegationStore
  delegates: Partial<Record<DelegationProfile, WorkerDelegate>>
  workerId: string
  now: Clock
  heartbeatMs: number
  leaseMs: number
  /** Running delegations of this worker, for cross-process cancel and shutdown. */
  running: Map<string, AbortController>
  /** The fence each running delegation holds, so a stop that gives up waiting can still expire its lease. */
  fences: Map<string, number>
  isStopping(): boolean
  /** Tells servers the state changed (NOTIFY). */
  announce(taskId: string): Promise<void>
  log(line: string): void
}

/** Runs the delegation `taskId` if it is pending. @internal */
export async function runDelegationJob(taskId: string, ctx: DelegationJobContext): Promise<DelegationJobOutcome> {
  const { store, now } = ctx
  const pending = await store.get(taskId)
  if (pending?.status !== 'pending' || ctx.isStopping()) return 'skipped'
  const record = await store.start(taskId, pending.version, now(), { owner: ctx.workerId, expiresAt: now() + ctx.leaseMs })
  if (!record) return 'skipped'
  const fence = record.version
  const controller = new AbortController()
  ctx.running.set(taskId, controller)
  ctx.fences.set(taskId, fence)
  ctx.log(`delegation ${taskId} started (attempt ${record.attempts}, fence ${fence})`)
  await ctx.announce(taskId).catch((err) => ctx.log(`delegation ${taskId}: status notification not sent: ${errorMessage(err)}`))
  let lost = false
  let beating = Promise.resolve()
  const timer = setInterval(() => {
    beating = beating.then(async () => {
      if (controller.signal.aborted) return
      try {
        if (!(await store.heartbeat(taskId, fence, now() + ctx.leaseMs, now()))) {
          // Reclaimed by the sweeper or cancelled: stop working on a delegation that is no longer ours.
          lost = true
          ctx.log(`delegation ${taskId}: lease lost (fence ${fence} is stale: reclaimed or cancelled); aborting`)
          controller.abort(new Error(`delegation ${taskId}: lease lost (fence ${fence} is stale)`))
        }
      } catch (err) {
        ctx.log(`delegation ${taskId}: heartbeat failed: ${errorMessage(err)}`)
      }
    })
  }, ctx.heartbeatMs)
  let writes: Promise<unknown> = Promise.resolve()
  const persist = (update: { progress?: DelegationProgress; costUsd?: number }) => {
    writes = writes.then(() => store.progress(taskId, fence, update, now())).catch((err) => ctx.log(`delegation ${taskId}: progress not saved: ${errorMessage(err)}`))
  }
  let cost: number | undefined
  let outcome: Parameters<DelegationStore['finish']>[2]
  try {
    const delegate = ctx.delegates[record.profile]
    if (!delegate) throw new Error(`no ${record.profile} delegate is configured on this worker (${ctx.workerId}); give runWorker a ${record.profile}Delegate`)
    const output = await delegate(record.args, {
      signal: controller.signal,
      report: (p) => {
        if (!controller.signal.aborted) persist({ progress: { iteration: p.iteration, phase: p.phase } })
      },
      addCost: (usd) => {
        if (!Number.isFinite(usd) || usd < 0 || controller.signal.aborted) return
        cost = (cost ?? 0) + usd
        persist({ costUsd: cost })
      },
    })
    outcome = { status: 'completed', output: output ?? null, ...(cost !== undefined ? { costUsd: cost } : {}) }
  } catch (err) {
    outcome = { status: 'failed', error: { message: errorMessage(err), kind: 'delegate' }, ...(cost !== undefined ? { costUsd: cost } : {}) }
  } finally {
    clearInterval(timer)
    ctx.running.delete(taskId)
    ctx.fences.delete(taskId)
  }
  await beating
  await writes
  // Only a failure the stop's abort caused is handed back; an output the delegate already returned is written.
  if (ctx.isStopping() && !lost && outcome.status === 'failed') {
    // Expire our own lease: the next sweep re-queues it for a live worker instead of waiting out the lease.
    await store.heartbeat(taskId, fence, now() - 1, now())
    ctx.log(`delegation ${taskId} released (worker stopping)`)
    return 'released'
  }
  if (!(await store.finish(taskId, fence, outcome, now()))) {
    ctx.log(`delegation ${taskId}: fence ${fence} is stale (cancelled or reclaimed); result not written`)
    return 'fenced'
  }
  ctx.log(`delegation ${taskId} ${outcome.status}`)
  await ctx.announce(taskId).catch((err) => ctx.log(`delegation ${taskId}: status notification not sent: ${errorMessage(err)}`))
  return outcome.status
}
