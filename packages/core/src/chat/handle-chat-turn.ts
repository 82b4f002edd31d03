import { ValidationError, createAbortError } from '../errors.js'
import { randomUuid } from '../util/clock.js'
import { assertChatTurnIdentity, chatTurnExecutionId } from './execution-id.js'
import { type ProducerHandoff, runTurn, type TurnStep } from './run-turn.js'
import type { ChatStreamEvent, ChatTurnOutcome, ChatTurnResult, RunChatTurnInput } from './types.js'

const defaultLog = (message: string, meta?: Record<string, unknown>) => {
  if (meta === undefined) console.error(message)
  else console.error(message, meta)
}

/**
 * Runs one production chat turn and returns its NDJSON body at once.
 *
 * The body is `session.run.started` → the producer's events verbatim →
 * `session.run.completed`; `finalText()` is read once after the drain,
 * `transformFinalText` applies to what is persisted, then
 * `persistAssistantMessage`, then `onTurnComplete` (errors logged). A
 * producer, persist or replay-store failure ends the body with
 * `error{message}` + `session.run.failed{reason}` instead. The producer is
 * pulled only as fast as the client reads; a client that cancels the body
 * aborts the producer's signal and nothing is persisted.
 *
 * With `replay`, the turn is named by its execution id (`identity.executionId`,
 * else `deriveExecutionId({projectId: identity.projectId ?? tenantId, sessionId, turnIndex})`):
 * a retry of a completed execution is answered from stored events without
 * calling `produce`, a retry while another attempt holds the lease gets
 * `session.run.failed{reason:'in_flight'}`, and `persistAssistantMessage`
 * runs once per execution id.
 *
 * Runtime failures never reject: they end the body as described above, and
 * `result.done` reports the outcome. Misconfiguration (a bad identity, a
 * missing hook) throws a {@link ValidationError} synchronously.
 * @stable
 * @example
 * const turn = handleChatTurn({
 *   identity: { tenantId: 'acme', sessionId: 'thread-1', userId: 'u1', turnIndex: 0 },
 *   hooks: { produce: ({ signal }) => myProducer(signal), persistAssistantMessage: async ({ finalText }) => db.save(finalText) },
 * })
 * return new Response(turn.body, { headers: { 'content-type': turn.contentType, 'x-execution-id': turn.executionId } })
 */
export function handleChatTurn(input: RunChatTurnInput): ChatTurnResult {
  assertInput(input)
  const { identity, hooks, replay, waitUntil } = input
  const executionId = chatTurnExecutionId(identity)
  const log = input.log ?? defaultLog
  const controller = new AbortController()
  let clientGone = false

  const onExternalAbort = () => {
    controller.abort(input.signal?.reason ?? createAbortError('chat turn aborted'))
  }
  if (input.signal?.aborted) onExternalAbort()
  else input.signal?.addEventListener('abort', onExternalAbort, { once: true })

  let settle!: (outcome: ChatTurnOutcome) => void
  const done = new Promise<ChatTurnOutcome>((resolve) => {
    settle = (outcome) => {
      input.signal?.removeEventListener('abort', onExternalAbort)
      resolve(outcome)
    }
  })

  const turn = runTurn({
    identity,
    hooks,
    executionId,
    attemptId: (input.attemptId ?? randomUuid)(),
    replay,
    waitUntil,
    log,
    signal: controller.signal,
    clientGone: () => clientGone,
    abort: (reason) => controller.abort(reason),
    settle,
  })

  // Until the first pull the generator has not started: `turn.return()` would then
  // skip its `finally`, so a cancel before any read settles `done` here instead.
  let pulled = false
  // The producer phase: pull() reads the producer directly, one `await next()` per read.
  let producing: ProducerHandoff | undefined

  /** Delivers the generator's next step (a line, the producer hand-off, or the end). */
  const advance = async (stream: ReadableStreamDefaultController<Uint8Array>, next: Promise<IteratorResult<TurnStep, void>>): Promise<void> => {
    const step = await next
    if (clientGone) return
    if (step.done) return stream.close()
    const value = step.value
    if ('handoff' in value) {
      producing = value
      return pump(stream)
    }
    stream.enqueue(value.bytes)
    if (!value.terminal) return
    // The last line is delivered at once; then the turn's bookkeeping (lease
    // release, trace flush) runs and the stream closes, without waiting for
    // the client to ask for more.
    while (!(await turn.next()).done) {}
    if (!clientGone) stream.close()
  }

  /** One producer event per client read; the generator resumes when the producer ends or fails. */
  const pump = async (stream: ReadableStreamDefaultController<Uint8Array>): Promise<void> => {
    const h = producing!
    let step: IteratorResult<unknown>
    try {
      step = await h.iterator.next()
    } catch (err) {
      h.finished = true
      producing = undefined
      return advance(stream, turn.throw(err))
    }
    if (clientGone) return
    if (step.done || controller.signal.aborted) {
      if (step.done) h.finished = true
      producing = undefined
      return advance(stream, turn.next())
    }
    try {
      const encoded = h.encode(step.value)
      stream.enqueue(encoded instanceof Uint8Array ? encoded : await encoded)
      const recorded = h.record(step.value as ChatStreamEvent)
      if (recorded) await recorded
    } catch (err) {
      producing = undefined
      return advance(stream, turn.throw(err))
    }
  }

  const body = new ReadableStream<Uint8Array>(
    {
      pull(stream) {
        pulled = true
        return producing ? pump(stream) : advance(stream, turn.next())
      },
      async cancel(reason) {
        clientGone = true
        controller.abort(createAbortError('the client cancelled the chat stream', reason))
        if (!pulled) {
          await turn.return(undefined)
          settle({ status: 'cancelled', executionId })
          return
        }
        // Runs the turn's `finally` (lease release, trace flush) once the producer yields or stops.
        void turn.return(undefined).catch((err: unknown) => log('handleChatTurn: cleanup after cancel failed', { executionId, error: String(err) }))
      },
    },
    // No read-ahead: one producer event is pulled per client read.
    { highWaterMark: 0 },
  )

  return { body, contentType: 'application/x-ndjson', executionId, done }
}

function assertInput(input: RunChatTurnInput): void {
  const fn = 'handleChatTurn'
  if (input === null || typeof input !== 'object') throw new ValidationError(`${fn}: expected {identity, hooks}, got ${JSON.stringify(input)}.`)
  assertChatTurnIdentity(input.identity)
  const hooks = input.hooks
  if (hooks === null || typeof hooks !== 'object') throw new ValidationError(`${fn}: hooks must be an object with produce and persistAssistantMessage.`)
  for (const name of ['produce', 'persistAssistantMessage'] as const) {
    if (typeof hooks[name] !== 'function') throw new ValidationError(`${fn}: hooks.${name} must be a function, got ${typeof hooks[name]}.`)
  }
  for (const name of ['onTurnComplete', 'onEvent', 'transformFinalText', 'traceFlush'] as const) {
    if (hooks[name] !== undefined && typeof hooks[name] !== 'function') {
      throw new ValidationError(`${fn}: hooks.${name} must be a function when given, got ${typeof hooks[name]}.`)
    }
  }
  for (const name of ['waitUntil', 'log', 'attemptId'] as const) {
    if (input[name] !== undefined && typeof input[name] !== 'function') {
      throw new ValidationError(`${fn}: ${name} must be a function when given, got ${typeof input[name]}.`)
    }
  }
  const replay = input.replay
  if (replay !== undefined) {
    for (const name of ['begin', 'append', 'complete', 'fail'] as const) {
      if (typeof replay?.[name] !== 'function') {
        throw new ValidationError(`${fn}: replay must be a ChatTurnReplayStore (missing ${name}()); use createMemoryChatTurnReplayStore or createSqlChatTurnReplayStore.`)
      }
    }
  }
}
