import { ValidationError } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import { stringifyChatEvent } from './ndjson.js'
import type { ChatStreamEvent } from './types.js'

/**
 * What {@link ChatTurnReplayStore.begin} decided for an attempt:
 * - `started`: this attempt owns the execution and runs the producer.
 * - `in_flight`: another attempt holds a live lease; refuse the retry.
 * - `completed`: the execution finished and was persisted; replay `events`.
 * - `resume_persist`: the producer finished but the persist failed or its
 *   owner vanished; this attempt now owns it, replays `events` and persists
 *   `finalText` without running the producer again.
 * @stable
 */
export type ChatTurnReplayBegin =
  | { status: 'started' }
  | { status: 'in_flight' }
  | { status: 'completed'; events: ChatStreamEvent[]; finalText: string }
  | { status: 'resume_persist'; events: ChatStreamEvent[]; finalText: string }

/**
 * Durable record of chat-turn executions that makes client retries safe.
 * An execution moves `running → produced → persisted`, or `running → failed`.
 * Every write names the attempt (`attemptId`) that owns the execution's lease
 * and is ignored when another attempt owns it. Leases last `inFlightTimeoutMs`
 * from the owner's last write; after that (an attempt that crashed) a retry
 * may take over. Implementations must make `begin` atomic across processes.
 * @stable
 */
export interface ChatTurnReplayStore {
  /** Claims the execution for `attemptId` or reports why not. Atomic: of two concurrent callers at most one gets `started`. */
  begin(executionId: string, attemptId: string): Promise<ChatTurnReplayBegin>
  /** Adds producer events of a running attempt and renews its lease; `false` when the attempt lost ownership. */
  append(executionId: string, attemptId: string, events: readonly ChatStreamEvent[]): Promise<boolean>
  /**
   * Records that the producer finished (`persisted: false`, state `produced`)
   * or that the message was persisted (`persisted: true`, state `persisted`).
   * `false` when the attempt does not own the execution.
   */
  complete(executionId: string, attemptId: string, outcome: { finalText: string; persisted: boolean }): Promise<boolean>
  /**
   * Releases the attempt's lease. A running attempt's partial events are
   * dropped (the next `begin` starts over); a produced one keeps them (the
   * next `begin` resumes the persist). No-op for a non-owner.
   */
  fail(executionId: string, attemptId: string): Promise<void>
  /** Deletes persisted and failed executions last written before `before` (epoch ms); resolves with how many. */
  prune?(before: number): Promise<number>
  /**
   * The lease length and the clock it is measured on. When present, a running
   * turn also writes (and so renews its lease) once a third of the lease has
   * passed since its last write, so a slow stream is not mistaken for a dead one.
   */
  readonly lease?: { readonly durationMs: number; now(): number }
}

/** Options shared by the shipped replay stores. @stable */
export interface ChatTurnReplayStoreOptions {
  /**
   * How long an attempt's lease lasts after its last write before a retry may
   * take over. A streaming turn renews it as events flow (at least every third
   * of it), so only a producer silent for this long is treated as dead. Default 60 000 ms.
   */
  inFlightTimeoutMs?: number
  /** Epoch-ms clock for leases; defaults to the wall clock. */
  clock?: Clock
}

/** Default lease of a running chat-turn attempt, in milliseconds. @stable */
export const DEFAULT_CHAT_TURN_IN_FLIGHT_TIMEOUT_MS = 60_000

/** Validates the lease timeout shared by every store. */
export function resolveInFlightTimeout(fn: string, value: number | undefined): number {
  const ms = value ?? DEFAULT_CHAT_TURN_IN_FLIGHT_TIMEOUT_MS
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new ValidationError(`${fn}: inFlightTimeoutMs must be a positive number of milliseconds, got ${JSON.stringify(value)}.`)
  }
  return ms
}

/**
 * The shipped stores also accept events already serialised (the JSON each
 * one was sent to the client as), so a turn does not serialise every event
 * twice, and stores exactly the bytes the client received. Internal: custom
 * stores implement `append` only.
 */
export const appendSerialized: unique symbol = Symbol('agent-runtime.chat.appendSerialized')

/** A store that may take pre-serialised events. */
export type SerializedAppendStore = ChatTurnReplayStore & {
  [appendSerialized]?: (executionId: string, attemptId: string, json: readonly string[]) => Promise<boolean>
}

/** Adds the pre-serialised append to a shipped store. */
export function withSerializedAppend<S extends ChatTurnReplayStore>(
  store: S,
  append: (executionId: string, attemptId: string, json: readonly string[]) => Promise<boolean>,
): S {
  Object.defineProperty(store, appendSerialized, { value: append, enumerable: false })
  return store
}

/** Serialises an event for storage, failing with a clear message for non-JSON values. */
export function serializeStoredEvent(event: ChatStreamEvent): string {
  return stringifyChatEvent(event, 'chat replay store append')
}

type ExecutionState = 'running' | 'produced' | 'persisted' | 'failed'

interface MemoryExecution {
  state: ExecutionState
  attemptId: string
  leaseExpiresAt: number
  finalText: string
  events: string[]
  updatedAt: number
}

/**
 * An in-process {@link ChatTurnReplayStore}: for tests, single-process
 * servers and as the reference of the store semantics. Events are stored as
 * JSON, exactly like the SQL store.
 * @stable
 * @example
 * const replay = createMemoryChatTurnReplayStore({ inFlightTimeoutMs: 30_000 })
 * handleChatTurn({ identity, hooks, replay })
 */
export function createMemoryChatTurnReplayStore(options: ChatTurnReplayStoreOptions = {}): ChatTurnReplayStore {
  const timeoutMs = resolveInFlightTimeout('createMemoryChatTurnReplayStore', options.inFlightTimeoutMs)
  const clock = options.clock ?? systemClock
  const executions = new Map<string, MemoryExecution>()
  const owned = (executionId: string, attemptId: string) => {
    const row = executions.get(executionId)
    return row && row.attemptId === attemptId ? row : undefined
  }
  const parse = (events: string[]) => events.map((e) => JSON.parse(e) as ChatStreamEvent)
  const appendJson = async (executionId: string, attemptId: string, serialized: readonly string[]): Promise<boolean> => {
    const row = owned(executionId, attemptId)
    if (row?.state !== 'running') return false
    const now = clock()
    for (let i = 0; i < serialized.length; i++) row.events.push(serialized[i]!)
    row.leaseExpiresAt = now + timeoutMs
    row.updatedAt = now
    return true
  }

  const store: ChatTurnReplayStore = {
    lease: { durationMs: timeoutMs, now: clock },
    async begin(executionId, attemptId) {
      const now = clock()
      const row = executions.get(executionId)
      const claim = (state: ExecutionState, keep: boolean): MemoryExecution => {
        const next: MemoryExecution = {
          state,
          attemptId,
          leaseExpiresAt: now + timeoutMs,
          finalText: keep && row ? row.finalText : '',
          events: keep && row ? row.events : [],
          updatedAt: now,
        }
        executions.set(executionId, next)
        return next
      }
      if (!row) {
        claim('running', false)
        return { status: 'started' }
      }
      if (row.state === 'persisted') return { status: 'completed', events: parse(row.events), finalText: row.finalText }
      const leaseLive = row.leaseExpiresAt > now
      if ((row.state === 'running' || row.state === 'produced') && leaseLive) return { status: 'in_flight' }
      if (row.state === 'produced') {
        const claimed = claim('produced', true)
        return { status: 'resume_persist', events: parse(claimed.events), finalText: claimed.finalText }
      }
      claim('running', false)
      return { status: 'started' }
    },
    append: async (executionId, attemptId, events) => appendJson(executionId, attemptId, events.map(serializeStoredEvent)),
    async complete(executionId, attemptId, outcome) {
      const row = owned(executionId, attemptId)
      if (!row) return false
      const now = clock()
      if (row.state === 'running') {
        row.state = outcome.persisted ? 'persisted' : 'produced'
        row.finalText = outcome.finalText
      } else if (row.state === 'produced' && outcome.persisted) {
        row.state = 'persisted'
      } else {
        return false
      }
      row.leaseExpiresAt = now + timeoutMs
      row.updatedAt = now
      return true
    },
    async fail(executionId, attemptId) {
      const row = owned(executionId, attemptId)
      if (!row) return
      const now = clock()
      if (row.state === 'running') {
        row.state = 'failed'
        row.events = []
        row.finalText = ''
      } else if (row.state !== 'produced') {
        return
      }
      row.leaseExpiresAt = 0
      row.updatedAt = now
    },
    async prune(before) {
      let removed = 0
      for (const [id, row] of executions) {
        if ((row.state === 'persisted' || row.state === 'failed') && row.updatedAt < before) {
          executions.delete(id)
          removed++
        }
      }
      return removed
    },
  }
  return withSerializedAppend(store, appendJson)
}
