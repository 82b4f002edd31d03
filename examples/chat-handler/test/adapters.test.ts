import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ChatStreamEvent, type D1DatabaseLike, readChatStream } from '@tangle-network/agent-runtime'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { POST } from '../next-route.js'
import worker from '../worker.js'

async function events(response: Response): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = []
  for await (const e of readChatStream(response.body!)) out.push(e)
  return out
}

/** A D1 binding over a real SQLite database (D1 is SQLite). */
function d1Over(db: Database.Database): D1DatabaseLike {
  return {
    prepare: (sql) => ({
      bind: (...values) => ({
        run: async () => ({ meta: { changes: db.prepare(sql).run(...values).changes } }),
        all: async <T>() => ({ results: db.prepare(sql).all(...values) as T[] }),
      }),
    }),
  }
}

const chatRequest = (body: unknown) => new Request('http://example.test/chat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const turn = { sessionId: 'thread-9', turnIndex: 0, message: 'hello worker' }
const text = (evs: ChatStreamEvent[]) => evs.filter((e) => e.type === 'text_delta').map((e) => (e.data as { text: string }).text).join('')

describe('chat-handler Worker adapter', () => {
  const db = new Database(':memory:')
  const env = { DB: d1Over(db), CHAT_TOKEN_DELAY_MS: '0' }
  const ctx = { waitUntil: (_p: Promise<unknown>) => {} }

  it('streams a turn, persists it to D1 and replays a retry from the stored events', async () => {
    const first = await worker.fetch(chatRequest(turn), env, ctx)
    expect(first.headers.get('content-type')).toBe('application/x-ndjson')
    expect(first.headers.get('x-execution-id')).toBe('chat-handler:thread-9:0')
    const live = await events(first)
    expect(live.at(-1)).toEqual({ type: 'session.run.completed', data: { sessionId: 'thread-9', executionId: 'chat-handler:thread-9:0' } })
    const replayed = await events(await worker.fetch(chatRequest(turn), env, ctx))
    expect(replayed.at(-1)).toMatchObject({ type: 'session.run.completed', data: { replayed: true } })
    expect(text(replayed)).toBe(text(live))
    const history = await (await worker.fetch(new Request('http://example.test/history?sessionId=thread-9'), env, ctx)).json()
    expect(history).toEqual([
      { role: 'user', text: 'hello worker', turnIndex: 0 },
      { role: 'assistant', text: text(live), turnIndex: 0 },
    ])
  })

  it('answers a malformed body with 400 and unknown paths with 404', async () => {
    const bad = await worker.fetch(chatRequest({ sessionId: 'x' }), env, ctx)
    expect(bad.status).toBe(400)
    expect(await bad.json()).toEqual({ error: 'POST /chat expects JSON {sessionId: string, turnIndex: non-negative integer, message: string}.' })
    expect((await worker.fetch(new Request('http://example.test/nope'), env, ctx)).status).toBe(404)
  })
})

describe('chat-handler Next.js route adapter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-next-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('streams a turn into a SQLite file and replays the retry', async () => {
    process.env.CHAT_DB = join(dir, 'chat.db')
    process.env.CHAT_TOKEN_DELAY_MS = '0'
    const live = await events(await POST({ request: chatRequest({ ...turn, message: 'hello next' }) }))
    expect(text(live)).toContain('You said "hello next"')
    const again = await events(await POST({ request: chatRequest({ ...turn, message: 'hello next' }) }))
    expect(again.at(-1)).toMatchObject({ data: { replayed: true } })
    const rows = new Database(join(dir, 'chat.db')).prepare('SELECT role, text FROM chat_messages ORDER BY role DESC').all()
    expect(rows).toEqual([
      { role: 'user', text: 'hello next' },
      { role: 'assistant', text: text(live) },
    ])
  })
})
