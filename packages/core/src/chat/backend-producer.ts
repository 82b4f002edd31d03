import type { AgentBackendMessage, AgentExecutionBackend } from '../contracts/backend.js'
import type { BackendStreamEvent } from '../contracts/events.js'
import type { RuntimeSession } from '../contracts/session.js'
import type { AgentTaskSpec } from '../contracts/task.js'
import { AgentRuntimeError, ValidationError } from '../errors.js'
import { type Clock, isoNow, systemClock } from '../util/clock.js'
import type { ChatStreamEvent, ChatTurnProduceContext, ChatTurnProducer } from './types.js'

/** Input of {@link chatProducerFromBackend}. @stable */
export interface BackendChatProducerInput {
  backend: AgentExecutionBackend
  /** The user's message for this turn. */
  message?: string
  /** Prior conversation, oldest first (the backend decides how to use it). */
  messages?: AgentBackendMessage[]
  /** Defaults to `{id: executionId, intent: 'chat.turn'}`. */
  task?: AgentTaskSpec
  /** Defaults to an active session named after `identity.sessionId`. */
  session?: RuntimeSession
  clock?: Clock
}

/**
 * Adapts any {@link AgentExecutionBackend} into a chat-turn producer: each
 * backend event becomes `{type, data}` (the event without `type`,
 * `timestamp`, `task`, `session`), the final text is the backend's `final.text`
 * or else the joined `text_delta`s, and the producer's abort signal is passed
 * to the backend. A `final` with status `failed`/`aborted`, or a
 * non-recoverable `backend_error`, is forwarded and then fails the turn.
 * @stable
 * @example
 * handleChatTurn({ identity, hooks: { produce: (ctx) => chatProducerFromBackend({ backend, message }, ctx), persistAssistantMessage } })
 */
export function chatProducerFromBackend(input: BackendChatProducerInput, ctx: ChatTurnProduceContext): ChatTurnProducer {
  const backend = input?.backend
  if (!backend || typeof backend.stream !== 'function') {
    throw new ValidationError('chatProducerFromBackend: input.backend must be an AgentExecutionBackend (an object with stream()).')
  }
  const now = isoNow(input.clock ?? systemClock)
  const task: AgentTaskSpec = input.task ?? { id: ctx.executionId, intent: 'chat.turn' }
  const session: RuntimeSession = input.session ?? { id: ctx.identity.sessionId, backend: backend.kind, status: 'active', createdAt: now, updatedAt: now }
  let deltas = ''
  let finalText: string | undefined
  async function* stream(): AsyncGenerator<ChatStreamEvent> {
    const events = backend.stream({ task, message: input.message, messages: input.messages }, { task, session, signal: ctx.signal, runId: ctx.executionId })
    for await (const event of events) {
      yield toChatEvent(event)
      if (event.type === 'text_delta') deltas += event.text
      if (event.type === 'final' && typeof event.text === 'string') finalText = event.text
      const failure = backendFailure(event)
      if (failure) throw new AgentRuntimeError('backend', `backend ${backend.kind} failed: ${failure}`)
    }
  }
  return { stream: stream(), finalText: () => finalText ?? deltas }
}

function toChatEvent(event: BackendStreamEvent): ChatStreamEvent {
  const { type, timestamp: _timestamp, task: _task, session: _session, ...data } = event as BackendStreamEvent & Record<string, unknown>
  return Object.keys(data).length === 0 ? { type } : { type, data }
}

function backendFailure(event: BackendStreamEvent): string | undefined {
  if (event.type === 'backend_error' && !event.recoverable) return event.message
  if (event.type === 'final' && (event.status === 'failed' || event.status === 'aborted')) return event.error?.message ?? event.reason
  return undefined
}
