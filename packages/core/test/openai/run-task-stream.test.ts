import { createOpenAICompatibleBackend, createRuntimeStreamEventCollector, type RuntimeStreamEvent, runAgentTaskStream } from '@tangle-network/agent-runtime-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openaiTextStream, openaiToolCallStream } from './fixtures.js'
import { recordingSleep, task } from './helpers.js'
import { closedPort, type ReplayResponse, type ReplayServer, startReplayServer } from './replay-server.js'

let server: ReplayServer
beforeAll(async () => {
  server = await startReplayServer()
})
afterAll(() => server.close())

async function run(baseUrl: string, signal?: AbortSignal): Promise<RuntimeStreamEvent[]> {
  const backend = createOpenAICompatibleBackend({ apiKey: 'k', baseUrl, model: 'gpt-4o-mini', retry: { sleep: recordingSleep().sleep, maxAttempts: 3 } })
  const events: RuntimeStreamEvent[] = []
  for await (const e of runAgentTaskStream({ task, backend, input: { task, message: 'hi' }, signal })) events.push(e)
  return events
}

const errorBody = (message: string) => JSON.stringify({ error: { message } })

describe('OpenAI-compatible backend through runAgentTaskStream', () => {
  it('completes with the streamed text, tool calls surfaced and usage recorded', async () => {
    const a = server.script({ body: openaiTextStream(['The answer', ' is 4.']) })
    const events = await run(a.baseUrl)
    expect(events.map((e) => e.type)).toEqual(['task_start', 'readiness_start', 'readiness_end', 'session_created', 'backend_start', 'text_delta', 'text_delta', 'llm_call', 'backend_end', 'task_end', 'final'])
    expect(events.at(-1)).toMatchObject({ type: 'final', status: 'completed', text: 'The answer is 4.' })
    expect(events.find((e) => e.type === 'llm_call')).toMatchObject({ model: 'gpt-4o-mini', tokensIn: 50, tokensOut: 12, finishReason: 'stop', session: { backend: 'tcloud' } })
    const b = server.script({ body: openaiToolCallStream([{ id: 'call_1', name: 'search', argFragments: ['{"q":"x"}'] }]) })
    const withTool = await run(b.baseUrl)
    expect(withTool.find((e) => e.type === 'tool_call')).toMatchObject({ toolName: 'search', toolCallId: 'call_1', args: { q: 'x' } })
    expect(withTool.at(-1)).toMatchObject({ status: 'completed' })
  })

  const failures: [string, ReplayResponse, number, RegExp][] = [
    ['401', { status: 401, body: errorBody('Incorrect API key provided: sk-bad') }, 401, /returned 401 after 1 attempt/],
    ['402', { status: 402, body: errorBody('Insufficient credits') }, 402, /returned 402 after 1 attempt/],
    ['404', { status: 404, body: errorBody('The model `gpt-9` does not exist') }, 404, /returned 404 after 1 attempt/],
    ['429', { status: 429, headers: { 'retry-after': '0.001' }, body: errorBody('Rate limit reached') }, 429, /returned 429 after 3 attempt/],
    ['500', { status: 500, body: errorBody('Internal server error') }, 500, /returned 500 after 3 attempt/],
  ]
  it.each(failures)('%s ends as backend_error and a failed final with status and body', async (_name, response, status, message) => {
    const s = server.script(response)
    const events = await run(s.baseUrl)
    const error = events.find((e) => e.type === 'backend_error')
    const final = events.at(-1)
    expect(error).toMatchObject({ backend: 'tcloud', recoverable: true, error: { kind: 'transport', status, body: response.body } })
    expect((error as { message: string }).message).toMatch(message)
    expect(final).toMatchObject({ type: 'final', status: 'failed', error: { kind: 'transport', status, body: response.body } })
    expect((final as { reason: string }).reason).toMatch(message)
    expect(events.map((e) => e.type).slice(-3)).toEqual(['backend_error', 'task_end', 'final'])
  })

  it('a collector keeps no upstream error text (it can quote the prompt) unless payloads are opted in', async () => {
    const secret = 'card 4111-1111-1111-1111'
    const body = JSON.stringify({ error: { message: `Invalid 'messages[0].content': ${secret}`, type: 'invalid_request_error', code: 'content_policy' } })
    const inBody = server.script({ status: 400, body })
    const events = await run(inBody.baseUrl)
    const redacted = createRuntimeStreamEventCollector()
    const opted = createRuntimeStreamEventCollector({ includeControlPayloads: true })
    for (const e of events) {
      redacted.push(e)
      opted.push(e)
    }
    expect(JSON.stringify([redacted.events, redacted.summary()])).not.toContain('4111')
    expect(redacted.summary()).toMatchObject({ status: 'failed', error: { kind: 'transport', status: 400 } })
    expect(redacted.summary().reason).toMatch(/returned 400 after 1 attempt\(s\) .*\[content_policy\]/)
    expect(opted.events.at(-1)).toMatchObject({ type: 'final', error: { body } })

    const midStream = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: `prompt echoed: ${secret}` } })
    const s = server.script({ body: `data: ${midStream}\n\n` })
    const c = createRuntimeStreamEventCollector()
    for (const e of await run(s.baseUrl)) c.push(e)
    expect(c.summary()).toMatchObject({ status: 'failed', error: { kind: 'transport' } })
    expect(JSON.stringify([c.events, c.summary()])).not.toContain('4111')
  })

  it('connection refused ends as a failed final with status 0', async () => {
    const events = await run(`http://127.0.0.1:${await closedPort()}/v1`)
    expect(events.at(-1)).toMatchObject({ type: 'final', status: 'failed', error: { kind: 'transport', status: 0 } })
    expect((events.at(-1) as { reason: string }).reason).toMatch(/^chat backend unreachable after 3 attempt\(s\)/)
  })

  it('a disconnect mid-stream keeps the partial text and fails with the stream status', async () => {
    const body = openaiTextStream(['partial', ' rest'])
    const cut = body.indexOf('data:', body.indexOf('"partial"'))
    const s = server.script({ chunks: [body.slice(0, cut), body.slice(cut)], chunkDelayMs: 20, disconnectAfterChunks: 1 })
    const events = await run(s.baseUrl)
    expect(events.at(-1)).toMatchObject({ type: 'final', status: 'failed', text: 'partial', error: { kind: 'transport', status: 200 } })
    expect((events.at(-1) as { reason: string }).reason).toMatch(/stream interrupted after 1 event/)
  })

  it('a caller abort ends as an aborted final and is not recoverable', async () => {
    const s = server.script({ body: openaiTextStream(['a', 'b']), headerDelayMs: 5000 })
    const controller = new AbortController()
    // Abort once the server holds the request, so the abort lands mid-attempt.
    const poll = setInterval(() => {
      if (s.requests.length > 0) {
        clearInterval(poll)
        controller.abort()
      }
    }, 5)
    const events = await run(s.baseUrl, controller.signal)
    expect(events.find((e) => e.type === 'backend_error')).toMatchObject({ recoverable: false })
    expect(events.at(-1)).toMatchObject({ type: 'final', status: 'aborted' })
    expect(s.requests).toHaveLength(1)
  })
})
