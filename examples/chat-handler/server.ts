import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { betterSqlite3ToSqlAdapter, createSqlChatTurnReplayStore } from '@tangle-network/agent-runtime'
import Database from 'better-sqlite3'
import { Hono } from 'hono'
import { exampleBackend } from './backend.js'
import { type ChatStats, chatResponse } from './chat-route.js'
import { createMessageStore } from './messages.js'

const page = readFileSync(new URL('./public/index.html', import.meta.url), 'utf8')

/** What {@link createChatApp} returns. */
export interface ChatApp {
  app: Hono
  stats: ChatStats
  close(): void
}

/** The example's HTTP app: the chat page, POST /chat, GET /history, GET /stats. */
export function createChatApp(options: { dbPath?: string; env?: Record<string, string | undefined> } = {}): ChatApp {
  const env = options.env ?? process.env
  const db = new Database(options.dbPath ?? ':memory:')
  const sql = betterSqlite3ToSqlAdapter(db)
  const stats: ChatStats = { produceCalls: 0, persistCalls: 0 }
  const deps = {
    backend: exampleBackend(env),
    messages: createMessageStore(sql),
    replay: createSqlChatTurnReplayStore({ sql, inFlightTimeoutMs: 60_000 }),
    stats,
  }
  const app = new Hono()
  app.get('/', (c) => c.html(page))
  app.post('/chat', (c) => chatResponse(c.req.raw, deps))
  app.get('/history', async (c) => c.json(await deps.messages.history(c.req.query('sessionId') ?? '')))
  app.get('/stats', (c) => c.json(stats))
  return {
    app,
    stats,
    close: () => {
      db.close()
    },
  }
}

/** Starts the app on 127.0.0.1:`port` (0 picks a free port) and resolves with its URL. */
export function startChatServer(port: number, options: Parameters<typeof createChatApp>[0] = {}) {
  const { app, stats, close } = createChatApp(options)
  return new Promise<{ url: string; stats: ChatStats; stop: () => Promise<void> }>((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        stats,
        stop: () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections()
            server.close(() => {
              close()
              done()
            })
          }),
      })
    })
  })
}
