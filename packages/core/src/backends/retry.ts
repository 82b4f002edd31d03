import { createAbortError, ValidationError } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import { describeValue } from '../util/describe-value.js'

/**
 * How an HTTP backend retries and times out. Delays grow as
 * `min(initialBackoffMs·2^(n−1), maxBackoffMs)` ± `jitter`; a `Retry-After`
 * (or `retry-after-ms`) header replaces the computed delay, capped by
 * `maxBackoffMs`.
 * @stable
 */
export interface ChatRetryPolicy {
  /** Attempts in total, first included (default 5). */
  maxAttempts: number
  /** Delay before the second attempt (default 1000). */
  initialBackoffMs: number
  /** Upper bound of any delay, `Retry-After` included (default 30000). */
  maxBackoffMs: number
  /** Relative spread of each delay, 0–1 (default 0.25). */
  jitter: number
  /** Statuses worth retrying (default 408, 425, 429, 500, 502, 503, 504). */
  retryStatuses: readonly number[]
  /**
   * Per-attempt limit on connecting and receiving the response headers, in ms
   * (default 120000; 0 disables). It does not bound a body that keeps flowing.
   */
  requestTimeoutMs: number
  /** Longest silence between two body chunks, in ms (default 120000; 0 disables). */
  idleTimeoutMs: number
}

/** {@link ChatRetryPolicy} fields to override, plus injectable time sources for tests. @stable */
export interface ChatRetryOptions extends Partial<ChatRetryPolicy> {
  /** Waits `ms`; must reject when `signal` aborts. Defaults to an abortable `setTimeout`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  /** Uniform random number in [0, 1) for jitter. Defaults to Web Crypto. */
  random?: () => number
  /** Epoch-ms clock, used to read HTTP-date `Retry-After` values and latency. */
  now?: Clock
}

/** The retry policy of the reference spec. @stable */
export const DEFAULT_CHAT_RETRY_POLICY: Readonly<ChatRetryPolicy> = Object.freeze({
  maxAttempts: 5,
  initialBackoffMs: 1000,
  maxBackoffMs: 30_000,
  jitter: 0.25,
  retryStatuses: Object.freeze([408, 425, 429, 500, 502, 503, 504]),
  requestTimeoutMs: 120_000,
  idleTimeoutMs: 120_000,
})

/** A retry policy merged with its defaults and time sources. @stable */
export interface ResolvedChatRetryPolicy extends ChatRetryPolicy {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
  random: () => number
  now: Clock
}

/**
 * Waits `ms`, rejecting with an `AbortError` as soon as `signal` aborts. @stable
 * @example
 * await abortableSleep(250, controller.signal) // rejects with an AbortError on abort
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(createAbortError('aborted while waiting to retry', signal.reason))
    const onAbort = () => {
      clearTimeout(timer)
      reject(createAbortError('aborted while waiting to retry', signal?.reason))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

const cryptoRandom = (): number => globalThis.crypto.getRandomValues(new Uint32Array(1))[0] / 2 ** 32

function checkNumber(name: string, v: number, min: number, max = Number.POSITIVE_INFINITY, integer = false): void {
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    const range = max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `in [${min}, ${max}]`
    throw new ValidationError(`retry.${name} must be ${integer ? 'an integer' : 'a number'} ${range}; got ${describeValue(v)}`)
  }
}

/**
 * Merges retry options over {@link DEFAULT_CHAT_RETRY_POLICY}, throwing
 * {@link ValidationError} for a value out of range.
 * @stable
 * @example
 * resolveChatRetryPolicy({ maxAttempts: 2, initialBackoffMs: 10 })
 */
export function resolveChatRetryPolicy(options: ChatRetryOptions = {}): ResolvedChatRetryPolicy {
  const p: ResolvedChatRetryPolicy = {
    ...DEFAULT_CHAT_RETRY_POLICY,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    sleep: options.sleep ?? abortableSleep,
    random: options.random ?? cryptoRandom,
    now: options.now ?? systemClock,
  }
  checkNumber('maxAttempts', p.maxAttempts, 1, Number.POSITIVE_INFINITY, true)
  checkNumber('initialBackoffMs', p.initialBackoffMs, 0)
  checkNumber('maxBackoffMs', p.maxBackoffMs, 0)
  checkNumber('jitter', p.jitter, 0, 1)
  checkNumber('requestTimeoutMs', p.requestTimeoutMs, 0)
  checkNumber('idleTimeoutMs', p.idleTimeoutMs, 0)
  if (!Array.isArray(p.retryStatuses) || p.retryStatuses.some((s) => !Number.isInteger(s))) {
    throw new ValidationError(`retry.retryStatuses must be an array of HTTP status integers; got ${JSON.stringify(p.retryStatuses)}`)
  }
  return p
}

/**
 * The delay before attempt `attempt + 1` after `attempt` failures:
 * `min(initial·2^(attempt−1), max)` spread by ±jitter, never above `max`.
 * @stable
 * @example
 * chatBackoffDelayMs(3, resolveChatRetryPolicy({ jitter: 0 })) // → 4000
 */
export function chatBackoffDelayMs(attempt: number, policy: Pick<ResolvedChatRetryPolicy, 'initialBackoffMs' | 'maxBackoffMs' | 'jitter' | 'random'>): number {
  const base = Math.min(policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1), policy.maxBackoffMs)
  const spread = base * policy.jitter * (2 * policy.random() - 1)
  return Math.max(0, Math.min(policy.maxBackoffMs, Math.round(base + spread)))
}

/**
 * Reads how long a server asked us to wait, in ms: `retry-after-ms`, else
 * `Retry-After` as (fractional) seconds or an HTTP-date measured against
 * `nowMs`. Undefined when absent or unparseable; never negative.
 * @stable
 * @example
 * parseRetryAfterMs(new Headers({ 'retry-after': '0.5' }), Date.now()) // → 500
 */
export function parseRetryAfterMs(headers: Headers, nowMs: number): number | undefined {
  const ms = headers.get('retry-after-ms')?.trim()
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms))
  const value = headers.get('retry-after')?.trim()
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - nowMs)
}
