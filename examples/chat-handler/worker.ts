/**
 * The same route as a Cloudflare-Worker-shaped handler: `fetch(request, env, ctx)`,
 * messages and replay records in D1, trace flushes kept alive by `ctx.waitUntil`.
 * Deploy with a D1 binding named DB (wrangler: `[[d1_databases]] binding = "DB"`).
 */
import { createSqlChatTurnReplayStore, type D1DatabaseLike, d1ToSqlAdapter } from '@tangle-network/agent-runtime'
import { exampleBackend } from './backend.js'
import { chatResponse } from './chat-route.js'
import { createMessageStore } from './messages.js'

export interface Env {
  DB: D1DatabaseLike
  TANGLE_API_KEY?: string
  OPENAI_API_KEY?: string
  CHAT_TOKEN_DELAY_MS?: string
}

/** The part of the Workers `ExecutionContext` the route uses. */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContextLike): Promise<Response> {
    const sql = d1ToSqlAdapter(env.DB)
    const messages = createMessageStore(sql)
    const url = new URL(request.url)
    if (request.method === 'POST' && url.pathname === '/chat') {
      const replay = createSqlChatTurnReplayStore({ sql })
      return chatResponse(request, { backend: exampleBackend({ TANGLE_API_KEY: env.TANGLE_API_KEY, OPENAI_API_KEY: env.OPENAI_API_KEY, CHAT_TOKEN_DELAY_MS: env.CHAT_TOKEN_DELAY_MS }), messages, replay }, { waitUntil: ctx.waitUntil.bind(ctx) })
    }
    if (request.method === 'GET' && url.pathname === '/history') {
      return Response.json(await messages.history(url.searchParams.get('sessionId') ?? ''))
    }
    return new Response('not found', { status: 404 })
  },
}
