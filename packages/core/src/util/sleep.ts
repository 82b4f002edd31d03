import { createAbortError } from '../errors.js'

/**
 * Waits `ms`, rejecting with an `AbortError` (its `cause` the signal's reason)
 * as soon as `signal` aborts. The one abortable sleep of the engine: retry
 * backoff, scripted backends and sandboxes, and conversation retries use it.
 * @stable
 * @example
 * await abortableSleep(250, controller.signal) // rejects with an AbortError on abort
 */
export function abortableSleep(ms: number, signal?: AbortSignal, abortMessage = 'aborted while waiting'): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(createAbortError(abortMessage, signal.reason))
    const onAbort = () => {
      clearTimeout(timer)
      reject(createAbortError(abortMessage, signal?.reason))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
