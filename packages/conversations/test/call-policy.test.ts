import {
  CircuitBreakerState,
  CircuitOpenError,
  type ConversationStreamEvent,
  DeadlineExceededError,
  InMemoryConversationJournal,
  computeBackoff,
  defaultIsRetryable,
  defineConversation,
  makePerAttemptSignal,
  runConversationStream,
  sleep,
} from '@tangle-network/agent-runtime-conversations'
import { BackendTransportError, ValidationError, createAbortError } from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'
import { echoBackend, recordingBackend, untilAborted } from './backends.js'

async function run(conv: ReturnType<typeof defineConversation>, runId = 'p') {
  const journal = new InMemoryConversationJournal()
  const events: ConversationStreamEvent[] = []
  for await (const e of runConversationStream(conv, { seed: 's', runId, journal })) events.push(e)
  const end = events.at(-1) as Extract<ConversationStreamEvent, { type: 'conversation_end' }>
  return { events, result: end.result, journal }
}

describe('call policy in a conversation', () => {
  it('a per-attempt deadline aborts the backend stream through its signal, retries the same turnId, and never commits the failed attempt text', async () => {
    const signalsAborted: boolean[] = []
    const flaky = recordingBackend(async function* ({ ctx }, n) {
      if (n === 1) {
        yield { type: 'text_delta', text: 'half an answ' }
        await untilAborted(ctx.signal)
        signalsAborted.push(ctx.signal!.aborted)
        expect(ctx.signal!.reason).toBeInstanceOf(DeadlineExceededError)
        return
      }
      yield { type: 'text_delta', text: 'full answer' }
    })
    const conv = defineConversation({
      participants: [
        { name: 'slow', backend: flaky, callPolicy: { perAttemptDeadlineMs: 30, maxRetries: 2, retryBackoffMs: 1 } },
        { name: 'b', backend: echoBackend('b') },
      ],
      policy: { maxTurns: 1 },
    })
    const { events, result, journal } = await run(conv, 'dl')
    expect(signalsAborted).toEqual([true])
    expect(flaky.calls.map((c) => c.ctx.turnId)).toEqual(['dl.t0.slow', 'dl.t0.slow'])
    expect(flaky.calls.map((c) => c.ctx.propagatedHeaders?.['x-tangle-turnid'])).toEqual(['dl.t0.slow', 'dl.t0.slow'])
    expect(events.filter((e) => e.type === 'turn_start').map((e) => (e as { attempt: number }).attempt)).toEqual([1, 2])
    const retry = events.find((e) => e.type === 'turn_retry')
    expect(retry).toMatchObject({ type: 'turn_retry', index: 0, turnId: 'dl.t0.slow', attempt: 1 })
    expect((retry as { reason: string }).reason).toBe('Participant call exceeded its per-attempt deadline of 30 ms; raise callPolicy.perAttemptDeadlineMs if the backend is legitimately slow.')
    expect(result.transcript[0]).toMatchObject({ text: 'full answer', attempts: 2 })
    expect((await journal.loadRun('dl'))?.turns[0]?.text).toBe('full answer')
  })

  it('the deadline cuts off a backend that ignores its signal', async () => {
    let returned = false
    const deaf = recordingBackend(async function* () {
      try {
        yield { type: 'text_delta', text: 'x' }
        await new Promise((r) => setTimeout(r, 400))
        yield { type: 'text_delta', text: 'too late' }
      } finally {
        returned = true
      }
    })
    const conv = defineConversation({ participants: [{ name: 'deaf', backend: deaf }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 1, defaultCallPolicy: { perAttemptDeadlineMs: 20 } } })
    const { result } = await run(conv)
    // The run ended while the backend was still stuck in its sleep…
    expect(returned).toBe(false)
    expect(result.halted).toEqual({
      kind: 'participant_error',
      participant: 'deaf',
      message: 'Participant call exceeded its per-attempt deadline of 20 ms; raise callPolicy.perAttemptDeadlineMs if the backend is legitimately slow.',
    })
    // …and the abandoned stream was told to return once it woke up.
    await new Promise((r) => setTimeout(r, 450))
    expect(returned).toBe(true)
  })

  it('retries retryable errors with the backoff function and stops at maxRetries', async () => {
    const attempts: number[] = []
    const down = recordingBackend(() => {
      throw new Error('fetch failed: ECONNREFUSED')
    })
    const conv = defineConversation({
      participants: [
        {
          name: 'down',
          backend: down,
          callPolicy: {
            maxRetries: 3,
            retryBackoffMs: (n) => {
              attempts.push(n)
              return 1
            },
          },
        },
        { name: 'b', backend: echoBackend('b') },
      ],
      policy: { maxTurns: 2 },
    })
    const { events, result } = await run(conv)
    expect(down.calls).toHaveLength(4)
    expect(attempts).toEqual([1, 2, 3])
    expect(events.filter((e) => e.type === 'turn_retry')).toHaveLength(3)
    expect(result.halted).toEqual({ kind: 'participant_error', participant: 'down', message: 'fetch failed: ECONNREFUSED' })
  })

  it('does not retry a deliberate failure, and honours a custom isRetryable', async () => {
    const refusing = recordingBackend(function* () {
      yield { type: 'backend_error', backend: 'm', message: 'content policy', recoverable: false, error: { kind: 'transport', message: 'x', status: 400 } }
    })
    const conv = defineConversation({ participants: [{ name: 'r', backend: refusing, callPolicy: { maxRetries: 5, retryBackoffMs: 0 } }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 1 } })
    await run(conv)
    expect(refusing.calls).toHaveLength(1)

    const custom = recordingBackend(function* (_c, n) {
      if (n < 3) yield { type: 'backend_error', backend: 'm', message: 'content policy', recoverable: false }
      else yield { type: 'text_delta', text: 'ok' }
    })
    const conv2 = defineConversation({
      participants: [{ name: 'r', backend: custom, callPolicy: { maxRetries: 5, retryBackoffMs: 0, isRetryable: (e) => String((e as Error).message).includes('content policy') } }, { name: 'b', backend: echoBackend('b') }],
      policy: { maxTurns: 1 },
    })
    const { result } = await run(conv2)
    expect(result.transcript[0]).toMatchObject({ text: 'ok', attempts: 3 })
  })

  it('opens the circuit breaker after consecutive failures and refuses further attempts with CircuitOpenError', async () => {
    const down = recordingBackend(() => {
      throw new Error('socket hang up')
    })
    const conv = defineConversation({
      participants: [
        { name: 'down', backend: down, callPolicy: { maxRetries: 5, retryBackoffMs: 0, circuitBreaker: { failuresToOpen: 2, cooldownMs: 60_000 } } },
        { name: 'b', backend: echoBackend('b') },
      ],
      policy: { maxTurns: 1 },
    })
    const { result } = await run(conv)
    expect(down.calls).toHaveLength(2)
    expect(result.halted.kind).toBe('participant_error')
    expect((result.halted as { message: string }).message).toMatch(/^Circuit breaker for participant "down" is open after repeated failures; retry after \d+ ms/)
  })
})

describe('call policy primitives', () => {
  it('defaultIsRetryable accepts infrastructure faults only', () => {
    const timeout = new Error('t')
    timeout.name = 'TimeoutError'
    const yes = [new DeadlineExceededError(5), createAbortError(), timeout, new Error('read ECONNRESET'), new Error('ETIMEDOUT'), new Error('socket hang up'), new TypeError('fetch failed'), new Error('Network unreachable'), new Error('x', { cause: new Error('connect ECONNREFUSED') })]
    const no = [new ValidationError('bad'), new BackendTransportError('b', 'chat backend returned 400', { status: 400 }), new Error('refused'), 'string', null, undefined, 42]
    for (const e of yes) expect(defaultIsRetryable(e)).toBe(true)
    for (const e of no) expect(defaultIsRetryable(e)).toBe(false)
  })

  it('computeBackoff: a number, a function, or 250·2^(n−1) plus up to 250 ms jitter', () => {
    expect(computeBackoff(100, 3)).toBe(100)
    expect(computeBackoff((n) => n * 10, 3)).toBe(30)
    expect(computeBackoff(-5, 1)).toBe(0)
    expect(computeBackoff(undefined, 1, () => 0)).toBe(250)
    expect(computeBackoff(undefined, 3, () => 0)).toBe(1000)
    expect(computeBackoff(undefined, 3, () => 0.999)).toBe(1249)
    for (let i = 0; i < 50; i++) {
      const d = computeBackoff(undefined, 2)
      expect(d).toBeGreaterThanOrEqual(500)
      expect(d).toBeLessThan(750)
    }
  })

  it('CircuitBreakerState opens, stays open for the cooldown, then lets one trial call through', () => {
    const b = new CircuitBreakerState({ failuresToOpen: 2, cooldownMs: 100 })
    b.preflight('p', 0)
    b.recordFailure(0)
    b.preflight('p', 1)
    b.recordFailure(10)
    const err = (() => {
      try {
        b.preflight('p', 50)
      } catch (e) {
        return e as CircuitOpenError
      }
    })()
    expect(err).toBeInstanceOf(CircuitOpenError)
    expect(err?.code).toBe('circuit_open')
    expect(err?.retryAfterMs).toBe(60)
    expect(err?.message).toBe('Circuit breaker for participant "p" is open after repeated failures; retry after 60 ms or raise circuitBreaker.failuresToOpen.')
    expect(b.isOpen(50)).toBe(true)
    b.preflight('p', 110)
    b.recordFailure(110)
    expect(() => b.preflight('p', 120)).toThrow(CircuitOpenError)
    b.preflight('p', 300)
    b.recordSuccess()
    b.recordFailure(300)
    expect(() => b.preflight('p', 301)).not.toThrow()
    const never = new CircuitBreakerState(undefined)
    for (let i = 0; i < 10; i++) never.recordFailure(0)
    expect(() => never.preflight('p', 0)).not.toThrow()
  })

  it('makePerAttemptSignal fires on the deadline with a DeadlineExceededError, or follows the parent', async () => {
    const a = makePerAttemptSignal(undefined, 10)
    await new Promise((r) => setTimeout(r, 30))
    expect(a.signal.aborted).toBe(true)
    expect(a.signal.reason).toBeInstanceOf(DeadlineExceededError)
    expect(a.getDeadlineError()?.code).toBe('deadline_exceeded')
    a.dispose()

    const parent = new AbortController()
    const b = makePerAttemptSignal(parent.signal, 10_000)
    parent.abort(new Error('user cancelled'))
    expect(b.signal.aborted).toBe(true)
    expect((b.signal.reason as Error).message).toBe('user cancelled')
    expect(b.getDeadlineError()).toBeUndefined()
    b.dispose()

    const c = makePerAttemptSignal(undefined, 10)
    c.dispose()
    await new Promise((r) => setTimeout(r, 30))
    expect(c.signal.aborted).toBe(false)
    expect(makePerAttemptSignal(AbortSignal.abort(), undefined).signal.aborted).toBe(true)
  })

  it('sleep resolves after the delay and rejects when aborted', async () => {
    await sleep(1)
    const controller = new AbortController()
    const pending = sleep(10_000, controller.signal)
    controller.abort(createAbortError('stop'))
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: 'stop' })
  })
})
