import {
  type AgentExecutionBackend,
  type ChatTurnReplayStore,
  chatProducerFromBackend,
  handleChatTurn,
  ValidationError,
} from '@tangle-network/agent-runtime'
import type { MessageStore } from './messages.js'

/** What the browser posts for one turn. Re-posting the same body is a retry of the same turn. */
export interface ChatRequestBody {
  sessionId: string
  turnIndex: number
  message: string
}

/** Counters the e2e test reads through GET /stats. */
export interface ChatStats {
  produceCalls: number
  persistCalls: number
}

export interface ChatRouteDeps {
  backend: AgentExecutionBackend
  messages: MessageStore
  replay: ChatTurnReplayStore
  stats?: ChatStats
}

/** Parses and checks the POST body; a bad body is a 400, not a failed turn. */
export function parseChatRequest(value: unknown): ChatRequestBody {
  const v = value as Partial<ChatRequestBody> | null
  if (!v || typeof v.sessionId !== 'string' || v.sessionId === '' || typeof v.message !== 'string' || !Number.isInteger(v.turnIndex) || v.turnIndex! < 0) {
    throw new ValidationError('POST /chat expects JSON {sessionId: string, turnIndex: non-negative integer, message: string}.')
  }
  return { sessionId: v.sessionId, turnIndex: v.turnIndex!, message: v.message }
}

/**
 * The whole product route, framework-free: the Hono server, the Worker and
 * the Next.js route all call this and return its Response.
 */
export async function chatResponse(
  request: Request,
  deps: ChatRouteDeps,
  platform: { waitUntil?: (p: Promise<unknown>) => void } = {},
): Promise<Response> {
  let body: ChatRequestBody
  try {
    body = parseChatRequest(await request.json())
  } catch (err) {
    return Response.json({ error: err instanceof Error ? err.message : String(err) }, { status: 400 })
  }
  const history = await deps.messages.history(body.sessionId)
  const turn = handleChatTurn({
    identity: { tenantId: 'demo', projectId: 'chat-handler', sessionId: body.sessionId, userId: 'demo', turnIndex: body.turnIndex },
    replay: deps.replay,
    signal: request.signal,
    waitUntil: platform.waitUntil,
    hooks: {
      produce: (ctx) => {
        if (deps.stats) deps.stats.produceCalls++
        const messages = history.map((m) => ({ role: m.role, content: m.text }))
        return chatProducerFromBackend({ backend: deps.backend, message: body.message, messages }, ctx)
      },
      persistAssistantMessage: async ({ identity, finalText, executionId }) => {
        if (deps.stats) deps.stats.persistCalls++
        await deps.messages.saveTurn({ sessionId: identity.sessionId, turnIndex: identity.turnIndex, executionId, userText: body.message, assistantText: finalText })
      },
    },
  })
  return new Response(turn.body, { headers: { 'content-type': turn.contentType, 'x-execution-id': turn.executionId, 'cache-control': 'no-store' } })
}
