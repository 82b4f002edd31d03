/**
 * The same route as a Next.js-style handler (`app/api/chat/route.ts`):
 * `export { POST } from '…/next-route'`. Messages and replay records live in a
 * SQLite file (CHAT_DB, default `.agent-runtime/chat-handler.db`), so retries
 * that reach another request of the same server are replayed.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { betterSqlite3ToSqlAdapter, createSqlChatTurnReplayStore } from '@tangle-network/agent-runtime'
import Database from 'better-sqlite3'
import { exampleBackend } from './backend.js'
import { type ChatRouteDeps, chatResponse } from './chat-route.js'
import { createMessageStore } from './messages.js'

let deps: ChatRouteDeps | undefined

function routeDeps(): ChatRouteDeps {
  if (deps) return deps
  const file = process.env.CHAT_DB ?? '.agent-runtime/chat-handler.db'
  mkdirSync(dirname(file), { recursive: true })
  const sql = betterSqlite3ToSqlAdapter(new Database(file))
  deps = { backend: exampleBackend(process.env), messages: createMessageStore(sql), replay: createSqlChatTurnReplayStore({ sql }) }
  return deps
}

export async function POST({ request }: { request: Request }): Promise<Response> {
  return chatResponse(request, routeDeps())
}
