import type { ChatTurnReplayStore } from './replay-store.js'

/** One line of the chat NDJSON protocol: `{type, data?}` serialised as one JSON object per line. @stable */
export interface ChatStreamEvent {
  type: string
  data?: unknown
}

/**
 * Who a turn belongs to. `tenantId` is the workspace for workspace-scoped
 * products and the user id for user-scoped ones.
 * @stable
 */
export interface ChatTurnIdentity {
  tenantId: string
  /** Thread / session id. */
  sessionId: string
  userId: string
  /** Monotonic 0-based turn index within the session. */
  turnIndex: number
  /**
   * The execution id that names this turn for client retries (the
   * `X-Execution-ID` a client resends). When absent it is
   * `deriveExecutionId({projectId: projectId ?? tenantId, sessionId, turnIndex})`.
   */
  executionId?: string
  /** Product id used to derive the execution id when `executionId` is absent; defaults to `tenantId`. */
  projectId?: string
}

/** What `produce` receives: the turn's abort signal and its execution id. @stable */
export interface ChatTurnProduceContext {
  /** Aborted when the client cancels the body, `input.signal` aborts, or the replay lease is lost. */
  signal: AbortSignal
  identity: ChatTurnIdentity
  executionId: string
}

/** The live side of a turn, returned by the `produce` hook. @stable */
export interface ChatTurnProducer<TEvent extends ChatStreamEvent = ChatStreamEvent> {
  /** The turn's events, forwarded to the client verbatim and pulled only as fast as the client reads. */
  stream: AsyncIterable<TEvent>
  /** The assistant's final text. Read once, after `stream` drains. */
  finalText(): string | Promise<string>
}

/** The product's side of a turn. @stable */
export interface ChatTurnHooks {
  /** Builds the backend event stream. Should stop when `ctx.signal` aborts. */
  produce(ctx: ChatTurnProduceContext): ChatTurnProducer | Promise<ChatTurnProducer>
  /**
   * Writes the assistant message to the product's store, after the stream
   * drained, with the (transformed) final text. With a replay store it runs
   * once per execution id; `executionId` doubles as an idempotency key.
   */
  persistAssistantMessage(input: { identity: ChatTurnIdentity; finalText: string; executionId: string }): Promise<void>
  /** Post-processing after persistence. Errors are logged and swallowed. */
  onTurnComplete?(input: { identity: ChatTurnIdentity; finalText: string; executionId: string }): Promise<void>
  /** Sees every line sent to the client, envelope included. Errors are logged and swallowed. */
  onEvent?(event: ChatStreamEvent): void | Promise<void>
  /** Transforms the final text before persistence only (e.g. PII redaction); the live stream is unchanged. */
  transformFinalText?(text: string): string | Promise<string>
  /** Flushes traces. Handed to `waitUntil` when given, else awaited before the stream closes. */
  traceFlush?(): Promise<void>
}

/** Input of {@link handleChatTurn}. @stable */
export interface RunChatTurnInput {
  identity: ChatTurnIdentity
  hooks: ChatTurnHooks
  /** Worker liveness hook (`ctx.waitUntil`). Without it `traceFlush` is awaited inline. */
  waitUntil?: (promise: Promise<unknown>) => void
  /** Logger for swallowed hook errors; defaults to `console.error`. */
  log?: (message: string, meta?: Record<string, unknown>) => void
  /** Aborts the turn (e.g. `request.signal`); the producer is aborted and nothing is persisted. */
  signal?: AbortSignal
  /** Makes client retries safe: completed executions are replayed, concurrent ones refused, persist runs once. */
  replay?: ChatTurnReplayStore
  /** Source of attempt ids (lease owners); defaults to `crypto.randomUUID`. */
  attemptId?: () => string
}

/** How a turn ended, reported by {@link ChatTurnResult.done}. @stable */
export type ChatTurnOutcome =
  | { status: 'completed'; executionId: string; finalText: string }
  | { status: 'replayed'; executionId: string; events: number }
  | { status: 'failed'; executionId: string; reason: ChatTurnFailureReason; message: string }
  | { status: 'cancelled'; executionId: string }

/** Why a turn failed, carried as `reason` on `session.run.failed`. @stable */
export type ChatTurnFailureReason = 'producer' | 'persist' | 'in_flight' | 'lease_lost' | 'replay_store' | 'aborted'

/** What {@link handleChatTurn} returns at once. @stable */
export interface ChatTurnResult {
  /** NDJSON body; hand it to the platform `Response`. */
  body: ReadableStream<Uint8Array>
  contentType: 'application/x-ndjson'
  /** The execution id of this turn; send it back as `X-Execution-ID` so clients can retry safely. */
  executionId: string
  /**
   * Settles after the turn's bookkeeping (persist, replay store, trace flush
   * or its hand-off) is over. Never rejects. Pending until the body is read or cancelled.
   */
  done: Promise<ChatTurnOutcome>
}
