import {
  type AgentBackendContext,
  type AgentBackendInput,
  type AgentExecutionBackend,
  type BackendStreamEvent,
  ValidationError,
  errorMessage,
} from '@tangle-network/agent-runtime-core'
import { DEFAULT_MAX_DEPTH, isDepthExceeded, readDepth } from './forward-headers.js'
import { runConversationStream } from './run.js'
import type { Conversation, ConversationResult, HaltReason } from './types.js'

/**
 * Wraps a conversation as one `AgentExecutionBackend`, so a group of agents
 * can be a participant of another conversation or sit behind one endpoint.
 *
 * The nested run's id is `${outerTurnId}.conv` (stable across retries of the
 * outer turn), its inbound depth is the outer call's forwarded depth, and
 * the outer turn id becomes its `parentTurnId`. Callers see one
 * `"[speaker] text\n"` delta and one `llm_call` (when usage was reported) per
 * inner turn, then a `final` whose metadata carries the inner result. A
 * call that arrives at the depth limit is refused with a `backend_error`.
 * @stable
 * @example
 * const panel = createConversationBackend({ conversation: defineConversation({ participants, policy: { maxTurns: 4 } }) })
 * const outer = defineConversation({ participants: [{ name: 'host', backend: host }, { name: 'panel', backend: panel }], policy: { maxTurns: 2 } })
 */
export function createConversationBackend(options: { conversation: Conversation; kind?: string }): AgentExecutionBackend {
  if (!options?.conversation || !Array.isArray(options.conversation.participants)) {
    throw new ValidationError('createConversationBackend: expected { conversation } made by defineConversation.')
  }
  const { conversation } = options
  const kind = options.kind ?? 'conversation'
  return {
    kind,
    async *stream(input: AgentBackendInput, ctx: AgentBackendContext): AsyncGenerator<BackendStreamEvent> {
      let depth: number
      try {
        depth = readDepth(ctx.propagatedHeaders ?? {})
      } catch (err) {
        yield* refuse(kind, errorMessage(err))
        return
      }
      if (isDepthExceeded(depth, DEFAULT_MAX_DEPTH)) {
        yield* refuse(kind, `Nested conversation refused: forwarding depth ${depth} reached the limit of ${DEFAULT_MAX_DEPTH}; a conversation probably contains itself.`)
        return
      }
      yield { type: 'backend_start', backend: kind }
      const seed = input.message ?? input.messages?.[input.messages.length - 1]?.content ?? input.task.intent
      let text = ''
      let result: ConversationResult | undefined
      for await (const event of runConversationStream(conversation, {
        seed,
        runId: ctx.turnId ? `${ctx.turnId}.conv` : undefined,
        signal: ctx.signal,
        propagatedHeaders: ctx.propagatedHeaders,
        inboundDepth: depth,
        parentTurnId: ctx.turnId,
      })) {
        if (event.type === 'turn_end') {
          const line = `[${event.turn.speaker}] ${event.turn.text}\n`
          text += line
          yield { type: 'text_delta', text: line }
          const usage = event.turn.usage
          if (usage) {
            yield {
              type: 'llm_call',
              model: usage.model ?? kind,
              tokensIn: usage.tokensIn,
              tokensOut: usage.tokensOut,
              costUsd: usage.costUsd,
              latencyMs: usage.latencyMs,
            }
          }
        } else if (event.type === 'conversation_end') {
          result = event.result
        }
      }
      const halted = result!.halted
      const status = halted.kind === 'participant_error' ? 'failed' : halted.kind === 'abort' ? 'aborted' : 'completed'
      yield {
        type: 'final',
        status,
        reason: describeHalt(halted),
        text,
        metadata: {
          conversationRunId: result!.runId,
          turns: result!.turns,
          spentCreditsCents: result!.spentCreditsCents,
          halted,
          durationMs: result!.durationMs,
        },
        ...(status === 'failed' ? { error: { kind: 'backend' as const, message: describeHalt(halted) } } : {}),
      }
      yield { type: 'backend_end', backend: kind }
    },
  }
}

function* refuse(kind: string, message: string): Generator<BackendStreamEvent> {
  yield { type: 'backend_error', backend: kind, message, recoverable: false, error: { kind: 'backend', message } }
  yield { type: 'final', status: 'failed', reason: message, error: { kind: 'backend', message } }
}

/**
 * A one-line description of a halt, for logs and `final.reason`.
 * @stable
 * @example
 * describeHalt({ kind: 'max_turns', turns: 6 }) // 'conversation reached max turns (6)'
 */
export function describeHalt(halt: HaltReason): string {
  switch (halt.kind) {
    case 'max_turns':
      return `conversation reached max turns (${halt.turns})`
    case 'max_credits':
      return `conversation reached its credit cap (${halt.spentCents}/${halt.capCents} cents)`
    case 'predicate':
      return `conversation halted by predicate: ${halt.reason}`
    case 'abort':
      return 'conversation aborted'
    case 'participant_error':
      return `participant "${halt.participant}" failed: ${halt.message}`
  }
}
