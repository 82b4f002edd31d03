import { ValidationError, errorMessage } from '../errors.js'
import { stringifyChatEvent } from './ndjson.js'
import { appendSerialized, type ChatTurnReplayStore, type SerializedAppendStore } from './replay-store.js'
import type { ChatStreamEvent, ChatTurnFailureReason, ChatTurnHooks, ChatTurnIdentity, ChatTurnOutcome, ChatTurnProducer } from './types.js'

/** Producer events are written to the replay store in batches of this size (each write renews the lease). */
const APPEND_BATCH = 64

/** Everything one turn needs; built by handleChatTurn. */
export interface TurnContext {
  identity: ChatTurnIdentity
  hooks: ChatTurnHooks
  executionId: string
  attemptId: string
  replay?: ChatTurnReplayStore
  waitUntil?: (promise: Promise<unknown>) => void
  log: (message: string, meta?: Record<string, unknown>) => void
  /** Aborted on client cancel, input.signal, or a lost lease. */
  signal: AbortSignal
  /** True once the client cancelled the body: nothing is emitted any more. */
  clientGone: () => boolean
  abort: (reason: unknown) => void
  settle: (outcome: ChatTurnOutcome) => void
}

/** Marks an error thrown by the replay store, so the turn reports `replay_store` rather than `producer`. */
class ReplayStoreFailure {
  constructor(readonly cause: unknown) {}
}

/** Raised when the replay store says another attempt took over this execution. */
class LeaseLost {}

const encoder = new TextEncoder()

/** One encoded NDJSON line; `terminal` marks the envelope's last line. */
export interface TurnLine {
  bytes: Uint8Array
  terminal: boolean
}

/**
 * The producer phase, handed to the stream: its `pull()` reads the producer
 * directly (one `await iterator.next()` per client read) instead of resuming
 * this generator per event. The generator resumes when the producer ends
 * (`next()`), fails or an event cannot be handled (`throw(err)`).
 */
export interface ProducerHandoff {
  readonly handoff: true
  readonly iterator: AsyncIterator<unknown>
  /** Checks and encodes one event; a promise only when an `onEvent` hook must run first. */
  encode(event: unknown): Uint8Array | Promise<Uint8Array>
  /** Records a delivered event for replay; a promise only when a batch is written. */
  record(event: ChatStreamEvent): Promise<void> | undefined
  /** Set once the iterator ended or threw, so it is not closed again. */
  finished: boolean
}

/** What the turn generator yields: a line, or the hand-off of the producer phase. */
export type TurnStep = TurnLine | ProducerHandoff

/**
 * The turn as a pull-driven generator of NDJSON lines: the ReadableStream
 * calls `next()` only when the client reads, so the producer is never
 * pulled ahead of the client. Never throws; `finally` does the bookkeeping.
 */
export async function* runTurn(t: TurnContext): AsyncGenerator<TurnStep, void, undefined> {
  const { identity, hooks, executionId, replay } = t
  const { sessionId, tenantId, turnIndex } = identity
  let outcome: ChatTurnOutcome = { status: 'cancelled', executionId }
  // Which replay-store state this attempt owns and must release on a non-success exit.
  let owned: 'none' | 'running' | 'produced' = 'none'
  // Set while emitting our own envelope lines, so a producer event that happens to be named
  // `session.run.completed` is not mistaken for the end of the turn.
  let envelope = false
  // The JSON of the event encoded last, stored for replay as sent.
  let lastJson = ''

  const encodeLine = (event: ChatStreamEvent): TurnLine => {
    const json = stringifyChatEvent(event, 'handleChatTurn')
    lastJson = json
    const terminal = envelope && (event.type === 'session.run.completed' || event.type === 'session.run.failed')
    return { bytes: encoder.encode(`${json}\n`), terminal }
  }
  const runOnEvent = async (event: ChatStreamEvent): Promise<void> => {
    try {
      await hooks.onEvent!(event)
    } catch (err) {
      t.log('handleChatTurn: onEvent threw; the stream continues', { executionId, type: event.type, error: errorMessage(err) })
    }
  }
  async function line(event: ChatStreamEvent): Promise<TurnLine> {
    const encoded = encodeLine(event)
    if (hooks.onEvent) await runOnEvent(event)
    return encoded
  }
  const envelopeLine = async (event: ChatStreamEvent) => {
    envelope = true
    try {
      return await line(event)
    } finally {
      envelope = false
    }
  }

  const store = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op()
    } catch (err) {
      throw new ReplayStoreFailure(err)
    }
  }

  async function* fail(reason: ChatTurnFailureReason, message: string): AsyncGenerator<TurnLine> {
    outcome = { status: 'failed', executionId, reason, message }
    if (t.clientGone()) return
    if (reason !== 'in_flight') yield await envelopeLine({ type: 'error', data: { message } })
    yield await envelopeLine({ type: 'session.run.failed', data: { sessionId, executionId, message, reason } })
  }

  async function* persistAndComplete(finalText: string, replayed: boolean): AsyncGenerator<TurnLine> {
    await hooks.persistAssistantMessage({ identity, finalText, executionId })
    if (replay) {
      try {
        if (!(await replay.complete(executionId, t.attemptId, { finalText, persisted: true }))) {
          t.log('handleChatTurn: persisted, but the replay store no longer names this attempt as owner', { executionId })
        }
      } catch (err) {
        // The message is persisted and the client has every event: report success, log the bookkeeping failure.
        t.log('handleChatTurn: persisted, but recording it in the replay store failed', { executionId, error: errorMessage(err) })
      }
    }
    owned = 'none'
    if (hooks.onTurnComplete) {
      try {
        await hooks.onTurnComplete({ identity, finalText, executionId })
      } catch (err) {
        t.log('handleChatTurn: onTurnComplete threw; the turn still completes', { executionId, error: errorMessage(err) })
      }
    }
    outcome = replayed ? { status: 'replayed', executionId, events: replayedCount } : { status: 'completed', executionId, finalText }
    yield await envelopeLine({ type: 'session.run.completed', data: replayed ? { sessionId, executionId, replayed: true } : { sessionId, executionId } })
  }

  let replayedCount = 0
  let phase: 'producer' | 'persist' = 'producer'
  try {
    yield await envelopeLine({ type: 'session.run.started', data: { sessionId, tenantId, turnIndex, executionId } })
    if (t.signal.aborted) return yield* abortedTurn()

    if (replay) {
      const decision = await store(() => replay.begin(executionId, t.attemptId))
      if (decision.status === 'in_flight') {
        return yield* fail('in_flight', `execution ${JSON.stringify(executionId)} is still running in another request; retry after it finishes.`)
      }
      if (decision.status === 'completed' || decision.status === 'resume_persist') {
        if (decision.status === 'resume_persist') owned = 'produced'
        for (const event of decision.events) {
          replayedCount++
          yield await line(event)
        }
        if (decision.status === 'completed') {
          outcome = { status: 'replayed', executionId, events: replayedCount }
          yield await envelopeLine({ type: 'session.run.completed', data: { sessionId, executionId, replayed: true } })
          return
        }
        if (t.signal.aborted) return yield* abortedTurn()
        phase = 'persist'
        return yield* persistAndComplete(decision.finalText, true)
      }
      owned = 'running'
    }

    const producer = await hooks.produce({ signal: t.signal, identity, executionId })
    assertProducer(producer)
    const iterator = producer.stream[Symbol.asyncIterator]() as AsyncIterator<unknown>
    let pending: ChatStreamEvent[] = []
    let pendingJson: string[] = []
    const appendJson = (replay as SerializedAppendStore | undefined)?.[appendSerialized]
    // Writes renew the lease: every APPEND_BATCH events, and also once a third of
    // the lease has passed, so a slow but live stream is never taken over by a retry.
    const lease = replay?.lease
    let lastWriteAt = lease?.now() ?? 0
    const renewDue = () => lease !== undefined && lease.now() - lastWriteAt >= lease.durationMs / 3
    const flush = async () => {
      if (!replay || pending.length === 0) return
      const batch = pending
      const json = pendingJson
      pending = []
      pendingJson = []
      const write = appendJson ? () => appendJson.call(replay, executionId, t.attemptId, json) : () => replay.append(executionId, t.attemptId, batch)
      if (!(await store(write))) throw new LeaseLost()
      if (lease) lastWriteAt = lease.now()
    }
    const handoff: ProducerHandoff = {
      handoff: true,
      iterator,
      finished: false,
      encode(event) {
        assertEvent(event)
        const encoded = encodeLine(event)
        return hooks.onEvent ? runOnEvent(event).then(() => encoded.bytes) : encoded.bytes
      },
      record: replay
        ? (event) => {
            pending.push(event)
            pendingJson.push(lastJson)
            return pending.length >= APPEND_BATCH || renewDue() ? flush() : undefined
          }
        : () => undefined,
    }
    try {
      // The stream's pull() now reads the producer itself; we resume when it ends.
      yield handoff
    } finally {
      // Ended early (an error, an abort, a cancel): close the producer, as `for await` would.
      if (!handoff.finished) {
        handoff.finished = true
        try {
          await iterator.return?.()
        } catch {
          // The producer's own cleanup failed; the turn's outcome is decided elsewhere.
        }
      }
    }
    if (t.signal.aborted) return yield* abortedTurn()
    await flush()

    let finalText = await producer.finalText()
    if (typeof finalText !== 'string') {
      throw new ValidationError(`handleChatTurn: producer.finalText() must return a string, got ${JSON.stringify(finalText)}.`)
    }
    phase = 'persist'
    if (hooks.transformFinalText) finalText = await hooks.transformFinalText(finalText)
    if (replay) {
      if (!(await store(() => replay.complete(executionId, t.attemptId, { finalText, persisted: false })))) throw new LeaseLost()
      owned = 'produced'
    }
    if (t.signal.aborted) return yield* abortedTurn()
    yield* persistAndComplete(finalText, false)
  } catch (err) {
    if (err instanceof LeaseLost) {
      owned = 'none'
      t.abort(new Error('replay lease lost'))
      return yield* fail('lease_lost', `execution ${JSON.stringify(executionId)} was taken over by another attempt after its lease expired; this attempt stopped.`)
    }
    if (t.clientGone()) return
    if (t.signal.aborted && !(err instanceof ReplayStoreFailure)) return yield* abortedTurn()
    if (err instanceof ReplayStoreFailure) {
      t.abort(new Error('replay store failed'))
      return yield* fail('replay_store', `replay store failed: ${errorMessage(err.cause)}`)
    }
    return yield* fail(phase, errorMessage(err))
  } finally {
    await finish()
  }

  async function* abortedTurn(): AsyncGenerator<TurnLine> {
    if (t.clientGone()) return
    yield* fail('aborted', 'the chat turn was aborted before it finished; nothing was persisted.')
  }

  async function finish(): Promise<void> {
    if (replay && owned !== 'none') {
      try {
        await replay.fail(executionId, t.attemptId)
      } catch (err) {
        t.log('handleChatTurn: releasing the replay lease failed; a retry waits for the lease to expire', { executionId, error: errorMessage(err) })
      }
    }
    if (hooks.traceFlush) {
      const flushing = Promise.resolve()
        .then(() => hooks.traceFlush!())
        .catch((err: unknown) => t.log('handleChatTurn: traceFlush failed', { executionId, error: errorMessage(err) }))
      if (t.waitUntil) {
        try {
          t.waitUntil(flushing)
        } catch (err) {
          t.log('handleChatTurn: waitUntil threw; awaiting traceFlush inline', { executionId, error: errorMessage(err) })
          await flushing
        }
      } else {
        await flushing
      }
    }
    t.settle(outcome)
  }
}

function assertProducer(producer: ChatTurnProducer): void {
  const stream = (producer as Partial<ChatTurnProducer> | undefined)?.stream
  if (!stream || typeof (stream as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function' || typeof producer.finalText !== 'function') {
    throw new ValidationError('handleChatTurn: produce() must return {stream: AsyncIterable<ChatStreamEvent>, finalText(): string}.')
  }
}

function assertEvent(event: unknown): asserts event is ChatStreamEvent {
  if (event === null || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string') {
    let shown: string
    try {
      shown = JSON.stringify(event) ?? String(event)
    } catch {
      shown = String(event)
    }
    throw new ValidationError(`handleChatTurn: the producer yielded ${shown.slice(0, 200)}; every event must be an object with a string "type".`)
  }
}
