/**
 * A `runDelegatedLoop` runner that does not run here: it submits the
 * delegation through a dispatcher (a graphile-worker job), waits for a worker
 * to finish it, and cancels it across processes if the caller's signal aborts.
 */
import { type Clock, createAbortError, type DelegatedLoopRunner, systemClock } from '@tangle-network/agent-runtime-core'
import { TERMINAL_DELEGATION_STATUSES, type DelegationProfile, type DelegationRecord } from '@tangle-network/agent-runtime-mcp'
import type { PostgresDispatcher } from './dispatcher.js'

/** Options of {@link dispatchedLoopRunner}. @experimental */
export interface DispatchedLoopRunnerOptions {
  /** Fallback re-read of the row when no notification arrived (ms). Default 5 000. */
  pollMs?: number
  /** Clock of the cancel timestamp. Default the system clock. */
  now?: Clock
}

/**
 * Wraps a delegation as a `runDelegatedLoop` runner that executes on the
 * worker fleet: resolves with the delegate's output, rejects with its error,
 * and on abort cancels the delegation (the worker running it aborts within a
 * notification's round trip).
 * @experimental
 * @example
 * const res = await runDelegatedLoop('code', { code: dispatchedLoopRunner(dispatcher, 'coder', { goal: 'fix the flaky test', repoRoot: '/srv/repo' }) })
 */
export function dispatchedLoopRunner(
  dispatcher: PostgresDispatcher,
  profile: DelegationProfile,
  args: Record<string, unknown>,
  options: DispatchedLoopRunnerOptions = {},
): DelegatedLoopRunner {
  const pollMs = options.pollMs ?? 5_000
  const now = options.now ?? systemClock
  return async (signal) => {
    const store = await dispatcher.store()
    const { record } = await dispatcher.submit(profile, args)
    const taskId = record.taskId
    let wake: () => void = () => {}
    const unsubscribe = await dispatcher.onStatusChange((id) => {
      if (id === taskId) wake()
    })
    const onAbort = () => wake()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      let current: DelegationRecord | undefined = record
      while (current && !TERMINAL_DELEGATION_STATUSES.includes(current.status)) {
        if (signal.aborted) {
          await store.cancel(taskId, now())
          await dispatcher.cancel(taskId)
          throw createAbortError(`delegation ${taskId} cancelled: ${String(signal.reason ?? 'aborted')}`)
        }
        await new Promise<void>((resolve) => {
          wake = resolve
          const timer = setTimeout(resolve, pollMs)
          ;(timer as { unref?: () => void }).unref?.()
        })
        current = await store.get(taskId)
      }
      if (!current) throw new Error(`delegation ${taskId} disappeared from the store (purged?)`)
      if (current.status === 'completed') return current.output
      throw new Error(`delegation ${taskId} ${current.status}${current.error ? ` (${current.error.kind}): ${current.error.message}` : ''}`)
    } finally {
      signal.removeEventListener('abort', onAbort)
      unsubscribe()
    }
  }
}
