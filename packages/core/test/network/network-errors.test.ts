/**
 * A request that gets no response names the socket-level cause and the host,
 * not just undici's "fetch failed". Real sockets: a loopback port that was
 * just closed (ECONNREFUSED) and a reserved `.invalid` host (DNS failure).
 */
import { createServer } from 'node:net'
import { BackendTransportError, createOpenAICompatibleBackend, describeNetworkError, getModels } from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as { port: number }
  await new Promise<void>((done) => server.close(() => done()))
  return port
}

const noWait = { sleep: async () => {}, maxAttempts: 2 }

describe('network errors name their cause and host', () => {
  it('describeNetworkError unwraps fetch failed to ECONNREFUSED and the host', async () => {
    const port = await closedPort()
    const url = `http://127.0.0.1:${port}/v1/models`
    const err = await fetch(url).catch((e: unknown) => e)
    expect(describeNetworkError(err, url)).toBe(`fetch failed: connection refused (ECONNREFUSED) at 127.0.0.1:${port}`)
  })

  it('describeNetworkError names a host DNS cannot find', async () => {
    const url = 'http://agent-runtime-test.invalid/v1'
    const err = await fetch(url).catch((e: unknown) => e)
    expect(describeNetworkError(err, url)).toMatch(/^fetch failed: (host not found \(DNS\) \(ENOTFOUND\)|DNS lookup failed temporarily \(EAI_AGAIN\)) at agent-runtime-test\.invalid$/)
  })

  it('the OpenAI-compatible backend reports ECONNREFUSED and the host after its retries', async () => {
    const port = await closedPort()
    const backend = createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', retry: noWait })
    const task = { id: 't', intent: 'net' }
    const err = await (async () => {
      for await (const _ of backend.stream({ task, message: 'hi' }, { task, knowledge: undefined as never, session: { id: 's' } as never })) {
        // drain
      }
    })().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err).toMatchObject({ status: 0 })
    expect((err as Error).message).toBe(
      `chat backend unreachable after 2 attempt(s) (POST http://127.0.0.1:${port}/v1/chat/completions): fetch failed: connection refused (ECONNREFUSED) at 127.0.0.1:${port}`,
    )
  })

  it('getModels reports the cause and host', async () => {
    const port = await closedPort()
    const err = await getModels(`http://127.0.0.1:${port}`).catch((e: unknown) => e)
    expect((err as Error).message).toBe(
      `router /v1/models unreachable at http://127.0.0.1:${port}/v1/models: fetch failed: connection refused (ECONNREFUSED) at 127.0.0.1:${port}`,
    )
  })

  it('falls back to the inner message when there is no code', () => {
    const err = new TypeError('fetch failed', { cause: new Error('bad port') })
    expect(describeNetworkError(err, 'http://127.0.0.1:9/x')).toBe('fetch failed: bad port (host 127.0.0.1:9)')
    expect(describeNetworkError(new Error('boom'), 'not a url')).toBe('boom (host not a url)')
  })
})
