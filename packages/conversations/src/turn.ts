/**
 * One logical turn under its call policy: attempts with a per-attempt
 * deadline, retries with backoff, and the participant's circuit breaker.
 * Every attempt reuses the same turn id; the text of a failed attempt is
 * dropped, never committed.
 */
import {
  type AgentBackendContext,
  type AgentBackendInput,
  AgentRuntimeError,
  BackendTransportError,
  type BackendStreamEvent,
  type Clock,
  createAbortError,
  errorMessage,
  isoNow,
} from '@tangle-network/agent-runtime-core'
import { type BackendCallPolicy, type CircuitBreakerState, computeBackoff, defaultIsRetryable, makePerAttemptSignal, sleep } from './call-policy.js'
import type { ConversationParticipant, ConversationStreamEvent, ConversationTurn } from './types.js'

/** Everything one turn needs, prepared by the run loop. */
export interface TurnPlan {
  runId: string
  index: number
  turnId: string
  participant: ConversationParticipant
  policy: BackendCallPolicy
  breaker: CircuitBreakerState
  input: AgentBackendInput
  /** Context without `signal`; each attempt gets its own. */
  context: Omit<AgentBackendContext, 'signal'>
  signal: AbortSignal | undefined
  clock: Clock
}

/** How a turn ended. */
export type TurnOutcome = { kind: 'committed'; turn: ConversationTurn } | { kind: 'aborted' } | { kind: 'failed'; error: unknown }

/** Runs the attempts of one turn, yielding `turn_start`, `turn_text_delta` and `turn_retry` events. */
export async function* runTurn(plan: TurnPlan): AsyncGenerator<ConversationStreamEvent, TurnOutcome> {
  const { runId, index, turnId, participant, policy, breaker, clock } = plan
  const speaker = participant.name
  const maxRetries = policy.maxRetries ?? 0
  const isRetryable = policy.isRetryable ?? defaultIsRetryable
  const startedAt = isoNow(clock)
  for (let attempt = 1; ; attempt++) {
    if (plan.signal?.aborted) return { kind: 'aborted' }
    try {
      breaker.preflight(speaker, clock())
    } catch (err) {
      return { kind: 'failed', error: err }
    }
    yield { type: 'turn_start', runId, index, speaker, turnId, attempt, timestamp: isoNow(clock) }
    const attemptSignal = makePerAttemptSignal(plan.signal, policy.perAttemptDeadlineMs)
    let text = ''
    let finalText: string | undefined
    const usage = new UsageSum()
    let failure: unknown
    try {
      const events = participant.backend.stream(plan.input, { ...plan.context, signal: attemptSignal.signal })
      for await (const event of abortable(events, attemptSignal.signal)) {
        if (event.type === 'text_delta') {
          if (!event.text) continue
          text += event.text
          yield { type: 'turn_text_delta', runId, index, speaker, turnId, text: event.text, timestamp: isoNow(clock) }
        } else if (event.type === 'llm_call') {
          usage.add(event)
        } else if (event.type === 'backend_error') {
          throw backendEventError(participant, event)
        } else if (event.type === 'final') {
          if (event.status !== 'completed') throw finalEventError(participant, event)
          finalText = event.text
        }
      }
      if (text === '') text = finalText ?? ''
      if (text === '') {
        throw new AgentRuntimeError('backend', `Participant "${speaker}" (backend "${participant.backend.kind}") finished turn ${index} without any text; its backend must emit text_delta events or a final text.`)
      }
    } catch (err) {
      failure = attemptSignal.getDeadlineError() ?? err
    } finally {
      attemptSignal.dispose()
    }
    if (failure === undefined) {
      breaker.recordSuccess()
      const turn: ConversationTurn = { index, speaker, turnId, text, attempts: attempt, startedAt, endedAt: isoNow(clock) }
      const summed = usage.result()
      if (summed) turn.usage = summed
      return { kind: 'committed', turn }
    }
    // A caller abort is not the participant's fault: no breaker count, no retry.
    if (plan.signal?.aborted) return { kind: 'aborted' }
    breaker.recordFailure(clock())
    if (attempt > maxRetries || !isRetryable(failure)) return { kind: 'failed', error: failure }
    yield { type: 'turn_retry', runId, index, speaker, turnId, attempt, reason: errorMessage(failure), timestamp: isoNow(clock) }
    try {
      await sleep(computeBackoff(policy.retryBackoffMs, attempt), plan.signal)
    } catch {
      return { kind: 'aborted' }
    }
  }
}

/** Credits (cents) of a turn: its summed `costUsd`, rounded. */
export function turnCredits(turn: ConversationTurn): number {
  return Math.round((turn.usage?.costUsd ?? 0) * 100)
}

class UsageSum {
  private seen = false
  private readonly sum: NonNullable<ConversationTurn['usage']> = {}

  add(event: Extract<BackendStreamEvent, { type: 'llm_call' }>): void {
    this.seen = true
    if (event.tokensIn !== undefined) this.sum.tokensIn = (this.sum.tokensIn ?? 0) + event.tokensIn
    if (event.tokensOut !== undefined) this.sum.tokensOut = (this.sum.tokensOut ?? 0) + event.tokensOut
    if (event.costUsd !== undefined) this.sum.costUsd = (this.sum.costUsd ?? 0) + event.costUsd
    if (event.latencyMs !== undefined) this.sum.latencyMs = (this.sum.latencyMs ?? 0) + event.latencyMs
    if (event.model) this.sum.model = event.model
  }

  result(): ConversationTurn['usage'] {
    return this.seen ? { ...this.sum } : undefined
  }
}

function backendEventError(participant: ConversationParticipant, event: Extract<BackendStreamEvent, { type: 'backend_error' }>): Error {
  const backend = event.backend || participant.backend.kind
  const message = `Participant "${participant.name}" backend "${backend}" failed: ${event.message}`
  if (event.error?.kind === 'transport') return new BackendTransportError(backend, message, { status: event.error.status, body: event.error.body })
  return new AgentRuntimeError('backend', message)
}

function finalEventError(participant: ConversationParticipant, event: Extract<BackendStreamEvent, { type: 'final' }>): Error {
  const message = `Participant "${participant.name}" backend "${participant.backend.kind}" ended with status ${event.status}: ${event.error?.message ?? event.reason}`
  if (event.error?.kind === 'transport') return new BackendTransportError(participant.backend.kind, message, { status: event.error.status, body: event.error.body })
  return new AgentRuntimeError('backend', message)
}

/**
 * Iterates `events` but stops as soon as `signal` fires, even when the
 * backend ignores its signal and never yields again; the abandoned iterator
 * is told to return so it can release its resources.
 */
async function* abortable<T>(events: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const iterator = events[Symbol.asyncIterator]()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason ?? createAbortError())
  })
  aborted.catch(() => undefined)
  if (signal.aborted) onAbort!()
  else signal.addEventListener('abort', onAbort!, { once: true })
  let finished = false
  let pending: Promise<IteratorResult<T>> | undefined
  try {
    while (true) {
      pending = iterator.next()
      const step = await Promise.race([pending, aborted])
      pending = undefined
      if (step.done) {
        finished = true
        return
      }
      yield step.value
    }
  } finally {
    signal.removeEventListener('abort', onAbort!)
    if (!finished) {
      pending?.catch(() => undefined)
      Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => undefined)
    }
  }
}
