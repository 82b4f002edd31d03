/**
 * Per-call resilience around one participant turn: a per-attempt deadline
 * wired into the backend's AbortSignal, retries with backoff, and a circuit
 * breaker per participant. The run-level caps (`maxTurns`, credits) bound the
 * rest.
 */
import { AgentRuntimeError, abortableSleep, createAbortError, isAbortError, randomUnit, systemClock } from '@tangle-network/agent-runtime-core'

/** Decides whether a failed attempt is worth retrying. @stable */
export type RetryableErrorPredicate = (err: unknown) => boolean

/** Delay before the next attempt: constant milliseconds, or a function of the 1-based attempt that failed. @stable */
export type RetryBackoff = number | ((attempt: number) => number)

/** `failuresToOpen` consecutive failures open the breaker; it refuses calls for `cooldownMs`. @stable */
export interface CircuitBreakerConfig {
  failuresToOpen: number
  cooldownMs: number
}

/** Deadline, retry and circuit-breaker settings for a participant's calls. @stable */
export interface BackendCallPolicy {
  /** Wall-clock limit per attempt; exceeding it aborts the backend stream and counts as a retryable failure. */
  perAttemptDeadlineMs?: number
  /** Retries after the first attempt (total attempts = 1 + maxRetries). Default 0. */
  maxRetries?: number
  /** Delay between attempts. Default: 250·2^(n−1) ms plus up to 250 ms of jitter. */
  retryBackoffMs?: RetryBackoff
  /** Retry classifier; defaults to {@link defaultIsRetryable}. */
  isRetryable?: RetryableErrorPredicate
  /** Opens after N consecutive failures of this participant within a run. */
  circuitBreaker?: CircuitBreakerConfig
}

/** A participant's circuit breaker is open; no call was made. @stable */
export class CircuitOpenError extends AgentRuntimeError {
  readonly participant: string
  readonly retryAfterMs: number
  constructor(participant: string, retryAfterMs: number) {
    super('circuit_open', `Circuit breaker for participant "${participant}" is open after repeated failures; retry after ${retryAfterMs} ms or raise circuitBreaker.failuresToOpen.`)
    this.participant = participant
    this.retryAfterMs = retryAfterMs
  }
}

/** An attempt ran past `perAttemptDeadlineMs`; its backend stream was aborted. @stable */
export class DeadlineExceededError extends AgentRuntimeError {
  readonly deadlineMs: number
  constructor(deadlineMs: number) {
    super('deadline_exceeded', `Participant call exceeded its per-attempt deadline of ${deadlineMs} ms; raise callPolicy.perAttemptDeadlineMs if the backend is legitimately slow.`)
    this.deadlineMs = deadlineMs
  }
}

const NETWORK_MESSAGE = /econnreset|etimedout|econnrefused|socket hang up|network|fetch failed/i

/**
 * Retries infrastructure faults only: deadline errors, `AbortError`,
 * `TimeoutError`, and network-failure messages. A backend's deliberate
 * answer (a 4xx, a refusal, a validation error) is an outcome, not a fault.
 * @stable
 * @example
 * defaultIsRetryable(new Error('read ECONNRESET')) // true
 */
export const defaultIsRetryable: RetryableErrorPredicate = (err) => {
  if (err instanceof DeadlineExceededError) return true
  if (isAbortError(err)) return true
  if (typeof err === 'object' && err !== null) {
    if ((err as { name?: unknown }).name === 'TimeoutError') return true
    const message = (err as { message?: unknown }).message
    if (typeof message === 'string' && NETWORK_MESSAGE.test(message)) return true
    const cause = (err as { cause?: unknown }).cause
    if (cause !== undefined && cause !== err && typeof cause === 'object' && cause !== null) {
      const causeMessage = (cause as { message?: unknown }).message
      if (typeof causeMessage === 'string' && NETWORK_MESSAGE.test(causeMessage)) return true
    }
  }
  return false
}

/**
 * Live circuit-breaker state, one per (participant, run). Without a config
 * it never opens.
 * @stable
 * @example
 * const breaker = new CircuitBreakerState({ failuresToOpen: 3, cooldownMs: 10_000 })
 * breaker.preflight('alice') // throws CircuitOpenError while open
 */
export class CircuitBreakerState {
  private readonly config: CircuitBreakerConfig | undefined
  private consecutiveFailures = 0
  private openedAt: number | undefined

  constructor(config: CircuitBreakerConfig | undefined) {
    this.config = config
  }

  /** Throws {@link CircuitOpenError} while the breaker is open and its cooldown has not elapsed. */
  preflight(participant: string, now: number = systemClock()): void {
    if (!this.config || this.openedAt === undefined) return
    const elapsed = now - this.openedAt
    if (elapsed < this.config.cooldownMs) throw new CircuitOpenError(participant, this.config.cooldownMs - elapsed)
    // Half-open: let one call through; a single further failure re-opens it.
    this.openedAt = undefined
    this.consecutiveFailures = Math.max(0, this.config.failuresToOpen - 1)
  }

  /** Closes the breaker and resets the failure count. */
  recordSuccess(): void {
    this.consecutiveFailures = 0
    this.openedAt = undefined
  }

  /** Counts a failure; opens the breaker once `failuresToOpen` are consecutive. */
  recordFailure(now: number = systemClock()): void {
    if (!this.config) return
    this.consecutiveFailures++
    if (this.consecutiveFailures >= this.config.failuresToOpen) this.openedAt = now
  }

  /** True while the breaker refuses calls. */
  isOpen(now: number = systemClock()): boolean {
    return this.config !== undefined && this.openedAt !== undefined && now - this.openedAt < this.config.cooldownMs
  }
}

/**
 * An AbortSignal for one attempt: fires when the parent fires, or with a
 * {@link DeadlineExceededError} reason when the deadline passes. Call
 * `dispose()` in a `finally` to clear the timer and detach from the parent.
 * @stable
 * @example
 * const attempt = makePerAttemptSignal(outer, 5_000)
 * try { await fetch(url, { signal: attempt.signal }) } finally { attempt.dispose() }
 */
export function makePerAttemptSignal(
  parentSignal: AbortSignal | undefined,
  deadlineMs: number | undefined,
): { signal: AbortSignal; dispose: () => void; getDeadlineError(): DeadlineExceededError | undefined } {
  const controller = new AbortController()
  let deadlineError: DeadlineExceededError | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const onParentAbort = () => controller.abort(parentSignal?.reason ?? createAbortError())
  if (parentSignal?.aborted) onParentAbort()
  else parentSignal?.addEventListener('abort', onParentAbort, { once: true })
  if (deadlineMs !== undefined && deadlineMs > 0 && !controller.signal.aborted) {
    timer = setTimeout(() => {
      deadlineError = new DeadlineExceededError(deadlineMs)
      controller.abort(deadlineError)
    }, deadlineMs)
  }
  return {
    signal: controller.signal,
    dispose() {
      if (timer !== undefined) clearTimeout(timer)
      parentSignal?.removeEventListener('abort', onParentAbort)
    },
    getDeadlineError: () => deadlineError,
  }
}

/**
 * Milliseconds to wait after failed attempt `attempt` (1-based). Default:
 * 250·2^(attempt−1) plus a uniform jitter of up to 250 ms.
 * @stable
 * @example
 * computeBackoff(100, 3) // 100
 * computeBackoff((n) => n * 10, 3) // 30
 */
export function computeBackoff(spec: RetryBackoff | undefined, attempt: number, random: () => number = randomUnit): number {
  if (typeof spec === 'number') return Math.max(0, spec)
  if (typeof spec === 'function') return Math.max(0, spec(attempt))
  return 250 * 2 ** Math.max(0, attempt - 1) + Math.floor(random() * 250)
}

/**
 * Resolves after `ms`; rejects with the signal's reason if it aborts first.
 * @stable
 * @example
 * await sleep(250)
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  // The engine's one abortable sleep; this API rejects with the signal's own reason when it has one.
  return abortableSleep(ms, signal).catch((err: unknown) => {
    throw signal?.reason ?? err
  })
}
