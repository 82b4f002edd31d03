import { type IncomingHttpHeaders, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOpenAICompatibleBackend } from '@tangle-network/agent-runtime-core'
import { InMemoryConversationJournal, defineConversation, runConversation } from '@tangle-network/agent-runtime-conversations'
import { afterAll, beforeAll, expect, it } from 'vitest'

interface Seen {
  headers: IncomingHttpHeaders
  body: { model: string; messages: { role: string; content: string }[] }
  closedBeforeEnd: boolean
}

const seen: Seen[] = []
let bobCalls = 0
// An OpenAI-compatible chat server on loopback: SSE chunks, a usage chunk, [DONE].
// Bob's first request sends a partial chunk and then hangs, to be cut by the deadline.
const server = createServer((req, res) => {
  let raw = ''
  req.on('data', (c) => {
    raw += c
  })
  req.on('end', () => {
    const entry: Seen = { headers: req.headers, body: JSON.parse(raw), closedBeforeEnd: false }
    seen.push(entry)
    const speaker = String(req.headers['x-tangle-speaker'])
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    const chunk = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`)
    chunk({ choices: [{ delta: { content: speaker === 'bob' && bobCalls === 0 ? 'partial ' : `${speaker} ` } }] })
    if (speaker === 'bob' && bobCalls++ === 0) {
      res.on('close', () => {
        entry.closedBeforeEnd = !res.writableEnded
      })
      return
    }
    chunk({ choices: [{ delta: { content: `reply ${seen.length}` }, finish_reason: 'stop' }] })
    chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2 } })
    res.end('data: [DONE]\n\n')
  })
})

let baseUrl = ''
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

it('forward headers reach a real OpenAI-compatible server; the deadline tears down the HTTP request and the retry replays the same turn id', async () => {
  const backend = (apiKey: string) => createOpenAICompatibleBackend({ baseUrl, apiKey, model: 'test-model', retry: { maxAttempts: 1 } })
  const conv = defineConversation({
    participants: [
      { name: 'alice', backend: backend('sk-agent-a') },
      { name: 'bob', backend: backend('sk-agent-b'), authSource: 'agent-owned', callPolicy: { perAttemptDeadlineMs: 1000, maxRetries: 1, retryBackoffMs: 0 } },
    ],
    policy: { maxTurns: 3 },
  })
  const journal = new InMemoryConversationJournal()
  const result = await runConversation(conv, {
    seed: 'Hello there',
    runId: 'oa',
    journal,
    inboundDepth: 1,
    propagatedHeaders: { 'x-tangle-forwarded-authorization': 'Bearer sk-tan-user', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
  })

  expect(seen).toHaveLength(4)
  const [alice0, bobHung, bob1, alice2] = seen
  expect(alice0!.headers).toMatchObject({
    authorization: 'Bearer sk-agent-a',
    'x-tangle-forwarded-authorization': 'Bearer sk-tan-user',
    'x-tangle-forwarded-depth': '2',
    'x-tangle-runid': 'oa',
    'x-tangle-turnid': 'oa.t0.alice',
    'x-tangle-speaker': 'alice',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  })
  expect(alice0!.body.messages).toEqual([{ role: 'user', content: 'Hello there' }])
  // Bob is agent-owned: his own key, never the user's.
  for (const bob of [bobHung!, bob1!]) {
    expect(bob.headers.authorization).toBe('Bearer sk-agent-b')
    expect(bob.headers['x-tangle-forwarded-authorization']).toBeUndefined()
    expect(bob.headers['x-tangle-turnid']).toBe('oa.t1.bob')
  }
  // The deadline aborted the fetch: the server saw the connection close mid-response.
  expect(bobHung!.closedBeforeEnd).toBe(true)
  expect(alice2!.headers['x-tangle-turnid']).toBe('oa.t2.alice')
  expect(alice2!.body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user'])

  expect(result.transcript.map((t) => [t.speaker, t.text, t.attempts])).toEqual([
    ['alice', 'alice reply 1', 1],
    ['bob', 'bob reply 3', 2],
    ['alice', 'alice reply 4', 1],
  ])
  expect(result.transcript.some((t) => t.text.includes('partial'))).toBe(false)
  expect(result.transcript[0]!.usage).toMatchObject({ tokensIn: 5, tokensOut: 2, model: 'test-model' })
  expect((await journal.loadRun('oa'))?.turns.map((t) => t.text)).toEqual(result.transcript.map((t) => t.text))
})
