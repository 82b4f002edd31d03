/** The production chat turn: NDJSON envelope, hook order, safe client retries. */
export { handleChatTurn } from './handle-chat-turn.js'
export { chatTurnExecutionId, deriveExecutionId } from './execution-id.js'
export { encodeChatStreamLine, parseChatStreamLine, readChatStream } from './ndjson.js'
export {
  type ChatTurnReplayBegin,
  type ChatTurnReplayStore,
  type ChatTurnReplayStoreOptions,
  createMemoryChatTurnReplayStore,
  DEFAULT_CHAT_TURN_IN_FLIGHT_TIMEOUT_MS,
} from './replay-store.js'
export { createSqlChatTurnReplayStore, type SqlChatTurnReplayStore, type SqlChatTurnReplayStoreOptions } from './sql-replay-store.js'
export type {
  ChatStreamEvent,
  ChatTurnFailureReason,
  ChatTurnHooks,
  ChatTurnIdentity,
  ChatTurnOutcome,
  ChatTurnProduceContext,
  ChatTurnProducer,
  ChatTurnResult,
  RunChatTurnInput,
} from './types.js'
export { type BackendChatProducerInput, chatProducerFromBackend } from './backend-producer.js'
