import { BackendTransportError, createOpenAICompatibleBackend, isAbortError, parseRetryAfterMs } from '@tangle-network/agent-runtime-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openaiTextStream } from './fixtures.js'
import { collect, ctx, recordingSleep, rejection } from './helpers.js'
import { closedPort, type ReplayServer, startReplayServer } from './replay-server.js'

let server: ReplayServer
beforeAll(async () => {
  server = await startReplayServer()
})
afterAll(() => server.close())

const ok = { body: openaiTextStream(['fine']) }
const json = (status: number, message: string, headers: Record<string, string> = {}) => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ error: { message, type: 'invalid_request_error', code: null } }),
})

function backendFor(baseUrl: string, retry: Record<string, unknown> = {}) {
  const { sleeps, sleep } = recordingSleep()
  const backend = createOpenAICompatibleBackend({ apiKey: 'k', baseUrl, model: 'gpt-4o-mini', retry: { sleep, random: () => 0.5, ...retry } })
  return { backend, sleeps }
}

describe('retries', () => {
  it('retries 429 and 5xx with exponential backoff, then succeeds', async () => {
    const s = server.script(json(429, 'slow down'), json(500, 'boom'), json(503, 'busy'), ok)
    const { backend, sleeps } = backendFor(s.baseUrl)
    expect(await collect(backend)).toContainEqual({ type: 'text_delta', text: 'fine' })
    expect(s.requests).toHaveLength(4)
    // random 0.5 means zero jitter: 1000·2^(n−1).
    expect(sleeps).toEqual([1000, 2000, 4000])
  })

  it('spreads delays by ±jitter and caps them at maxBackoffMs', async () => {
    const s = server.script(json(502, 'x'), json(502, 'x'), json(502, 'x'), ok)
    const { sleep, sleeps } = recordingSleep()
    const backend = createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: s.baseUrl, model: 'm', retry: { sleep, random: () => 1, initialBackoffMs: 100, maxBackoffMs: 300, jitter: 0.25 } })
    await collect(backend)
    expect(sleeps).toEqual([125, 250, 300])
  })

  it('honours a fractional Retry-After, retry-after-ms and an HTTP-date, capped by maxBackoffMs', async () => {
    const now = Date.parse('2025-01-01T00:00:00Z')
    const s = server.script(
      json(429, 'a', { 'retry-after': '0.05' }),
      json(429, 'b', { 'retry-after-ms': '7' }),
      json(503, 'c', { 'retry-after': new Date(now + 3000).toUTCString() }),
      json(429, 'd', { 'retry-after': '3600' }),
      ok,
    )
    const { backend, sleeps } = backendFor(s.baseUrl, { now: () => now, maxAttempts: 5, maxBackoffMs: 10_000 })
    await collect(backend)
    expect(sleeps).toEqual([50, 7, 3000, 10_000])
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined()
    expect(parseRetryAfterMs(new Headers({ 'retry-after': new Date(now - 5000).toUTCString() }), now)).toBe(0)
  })

  it('really waits for Retry-After with the default sleep', async () => {
    const s = server.script(json(429, 'wait', { 'retry-after': '0.02' }), ok)
    const backend = createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: s.baseUrl, model: 'm' })
    expect(await collect(backend)).toContainEqual({ type: 'text_delta', text: 'fine' })
    expect(s.requests).toHaveLength(2)
  })

  it('gives up after maxAttempts with the last status and body', async () => {
    const s = server.script(json(429, 'rate limit reached for gpt-4o-mini'))
    const { backend, sleeps } = backendFor(s.baseUrl)
    const err = await rejection(collect(backend))
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err).toMatchObject({ code: 'config', kind: 'transport' })
    expect(err.status).toBe(429)
    expect(err.backend).toBe('tcloud')
    expect(err.body).toContain('rate limit reached')
    expect(err.message).toMatch(
      /^chat backend returned 429 after 5 attempt\(s\) \(POST .*\/chat\/completions, model gpt-4o-mini\) \[invalid_request_error\]; still rate limited.*; the upstream message is in the error body$/,
    )
    expect(s.requests).toHaveLength(5)
    expect(sleeps).toHaveLength(4)
  })

  it.each([
    [401, 'Incorrect API key provided', /check the API key/],
    [402, 'Insufficient credits', /out of credits/],
    [404, 'The model `nope` does not exist', /check baseUrl \(.*\/v1\) and that model "gpt-4o-mini" exists there/],
    [400, 'bad request', /the request was rejected/],
  ])('fails at once on %i with status, body and a hint', async (status, message, hint) => {
    const s = server.script(json(status, message), ok)
    const { backend, sleeps } = backendFor(s.baseUrl)
    const err = await rejection(collect(backend))
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err.status).toBe(status)
    expect(err.message).toContain(`chat backend returned ${status} after 1 attempt(s)`)
    // The upstream free text stays in the body only: it can quote the prompt, and telemetry keeps messages.
    expect(err.message).not.toContain(message)
    expect(err.message).toContain('[invalid_request_error]')
    expect(err.message).toMatch(hint)
    expect(JSON.parse(err.body).error.message).toBe(message)
    expect(s.requests).toHaveLength(1)
    expect(sleeps).toEqual([])
  })

  it('truncates a huge error body to 2 KiB', async () => {
    const s = server.script({ status: 500, body: 'x'.repeat(10_000) })
    const { backend } = backendFor(s.baseUrl, { maxAttempts: 1 })
    const err = await rejection(collect(backend))
    expect(err.body).toHaveLength(2049)
    expect(err.body.endsWith('…')).toBe(true)
  })

  it('reports connection refused as status 0 after every attempt', async () => {
    const port = await closedPort()
    const { backend, sleeps } = backendFor(`http://127.0.0.1:${port}/v1`, { maxAttempts: 3 })
    const err = await rejection(collect(backend))
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err.status).toBe(0)
    expect(err.message).toMatch(/^chat backend unreachable after 3 attempt\(s\) \(POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions\): fetch failed/)
    expect(sleeps).toEqual([1000, 2000])
  })

  it('retries a response whose headers exceed requestTimeoutMs', async () => {
    const s = server.script({ ...ok, headerDelayMs: 2000 }, ok)
    const { backend } = backendFor(s.baseUrl, { requestTimeoutMs: 50 })
    expect(await collect(backend)).toContainEqual({ type: 'text_delta', text: 'fine' })
    expect(s.requests).toHaveLength(2)
    const t = server.script({ ...ok, headerDelayMs: 2000 })
    const err = await rejection(collect(backendFor(t.baseUrl, { requestTimeoutMs: 30, maxAttempts: 2 }).backend))
    expect(err.status).toBe(0)
    expect(err.message).toContain('no response headers within 30 ms')
  })

  it('does not time out a stream that keeps delivering chunks', async () => {
    const s = server.script({ body: openaiTextStream(['a', 'b', 'c', 'd']), chunkBytes: 128, chunkDelayMs: 20 })
    const { backend } = backendFor(s.baseUrl, { requestTimeoutMs: 60, idleTimeoutMs: 500, maxAttempts: 1 })
    expect((await collect(backend)).filter((e) => e.type === 'text_delta')).toHaveLength(4)
  })
})

describe('broken streams', () => {
  const body = openaiTextStream(['first', 'second'])
  const afterFirstText = body.indexOf('data:', body.indexOf('"first"'))

  it('throws "stream interrupted" with the HTTP status when the peer disconnects after events', async () => {
    const s = server.script({ chunks: [body.slice(0, afterFirstText), body.slice(afterFirstText)], chunkDelayMs: 20, disconnectAfterChunks: 1 })
    const { backend } = backendFor(s.baseUrl)
    const seen: string[] = []
    const err = await rejection(
      (async () => {
        for await (const ev of backend.stream({ task: ctx().task, message: 'x' }, ctx())) if (ev.type === 'text_delta') seen.push(ev.text)
      })(),
    )
    expect(seen).toEqual(['first'])
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err.status).toBe(200)
    expect(err.message).toMatch(/^chat backend stream interrupted after 1 event\(s\) .*; the partial reply cannot be replayed/)
    expect(s.requests).toHaveLength(1)
  })

  it('retries transparently when the stream breaks before any event', async () => {
    const s = server.script({ chunks: [': opening\n', 'data: {"choi'], disconnectAfterChunks: 2 }, ok)
    const { backend, sleeps } = backendFor(s.baseUrl)
    expect(await collect(backend)).toContainEqual({ type: 'text_delta', text: 'fine' })
    expect(s.requests).toHaveLength(2)
    expect(sleeps).toEqual([1000])
  })

  it('ends a stalled stream with an idle-timeout error', async () => {
    const s = server.script({ chunks: [body.slice(0, afterFirstText), body.slice(afterFirstText)], stallAfterChunks: 1 })
    const { backend } = backendFor(s.baseUrl, { idleTimeoutMs: 40 })
    const err = await rejection(collect(backend))
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err.message).toContain('no data for 40 ms')
  })

  it('retries an error payload with a retryable code that arrives before any event', async () => {
    const s = server.script({ body: 'data: {"error":{"message":"overloaded","code":503}}\n\n' }, ok)
    const { backend, sleeps } = backendFor(s.baseUrl)
    expect(await collect(backend)).toContainEqual({ type: 'text_delta', text: 'fine' })
    expect(s.requests).toHaveLength(2)
    expect(sleeps).toEqual([1000])
  })

  it('surfaces an error payload sent mid-stream', async () => {
    const s = server.script({ body: `${body.slice(0, afterFirstText)}data: {"error":{"message":"Provider overloaded","code":529}}\n\n` })
    const { backend } = backendFor(s.baseUrl)
    const err = await rejection(collect(backend))
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err.status).toBe(529)
    expect(err.message).toBe('chat backend reported an error mid-stream (status 529); the upstream message is in the error body')
    expect(err.body).toContain('Provider overloaded')
  })
})

describe('caller abort', () => {
  it('aborts an in-flight stream without retrying', async () => {
    const s = server.script({ body: openaiTextStream(['a', 'b', 'c']), chunkBytes: 100, chunkDelayMs: 30 })
    const { backend, sleeps } = backendFor(s.baseUrl)
    const controller = new AbortController()
    const err = await rejection(
      (async () => {
        for await (const ev of backend.stream({ task: ctx().task, message: 'x' }, ctx({ signal: controller.signal }))) {
          if (ev.type === 'text_delta') controller.abort()
        }
      })(),
    )
    expect(isAbortError(err)).toBe(true)
    expect(err.message).toBe('chat request aborted by the caller')
    expect(s.requests).toHaveLength(1)
    expect(sleeps).toEqual([])
  })

  it('stops waiting between attempts when aborted during backoff', async () => {
    const s = server.script(json(503, 'busy'))
    const controller = new AbortController()
    // The real (default) sleep: a one-minute backoff that the abort must cut short.
    const backend = createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: s.baseUrl, model: 'm', retry: { initialBackoffMs: 60_000, jitter: 0 } })
    setTimeout(() => controller.abort(), 50)
    const err = await rejection(collect(backend, 'x', ctx({ signal: controller.signal })))
    expect(isAbortError(err)).toBe(true)
    expect(s.requests).toHaveLength(1)
  })

  it('never starts when the signal is already aborted', async () => {
    const s = server.script(ok)
    const { backend } = backendFor(s.baseUrl)
    const err = await rejection(collect(backend, 'x', ctx({ signal: AbortSignal.abort() })))
    expect(isAbortError(err)).toBe(true)
    expect(s.requests).toHaveLength(0)
  })
})
