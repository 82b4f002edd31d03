import { createMcpServer, type DelegationMcpServer } from '@tangle-network/agent-runtime-mcp'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { coderOutput, controllableDelegate, structured } from './helpers.js'

const servers: DelegationMcpServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop()
})

describe('MCP cancellation', () => {
  it('notifications/cancelled ends a pending delegation_status wait (its progress stops)', async () => {
    const ctl = controllableDelegate()
    const server = createMcpServer({ coderDelegate: ctl.delegate })
    servers.push(server)
    const [raw, serverSide] = InMemoryTransport.createLinkedPair()
    await server.serve(serverSide)
    const inbox: JSONRPCMessage[] = []
    const arrivals: (() => void)[] = []
    raw.onmessage = (m) => {
      inbox.push(m)
      for (const f of arrivals.splice(0)) f()
    }
    await raw.start()
    const send = (m: unknown) => raw.send(m as JSONRPCMessage)
    const until = async (pred: () => boolean, poke?: () => void) => {
      while (!pred()) {
        poke?.()
        await new Promise<void>((r) => {
          arrivals.push(r)
          setImmediate(r)
        })
      }
    }
    await send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })
    await until(() => inbox.some((m) => 'id' in m && m.id === 1))
    await send({ jsonrpc: '2.0', method: 'notifications/initialized' })
    await send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'delegate_code', arguments: { goal: 'g', repoRoot: '/r' } } })
    await until(() => inbox.some((m) => 'id' in m && m.id === 2))
    const taskId = (inbox.find((m) => 'id' in m && m.id === 2) as any).result.structuredContent.taskId
    const call = await ctl.next()
    const progressOf = (token: string) => inbox.filter((m) => 'method' in m && m.method === 'notifications/progress' && (m.params as any).progressToken === token)
    const wait = (id: number, token: string) =>
      send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'delegation_status', arguments: { taskId, waitMs: 50_000 }, _meta: { progressToken: token } } })
    await wait(3, 'A')
    await until(() => progressOf('A').length > 0, () => call.ctx.report({ iteration: 1, phase: 'a' }))
    const aBefore = progressOf('A').length
    expect(server.stats()).toMatchObject({ running: 1, waiting: 1 })
    await send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 3, reason: 'user gave up' } })
    // The server's wait for request 3 ends: no status call is left waiting.
    await until(() => server.stats().waiting === 0)
    expect(server.stats().running).toBe(1)
    await wait(4, 'B')
    await until(() => progressOf('B').length > 0, () => call.ctx.report({ iteration: 2, phase: 'b' }))
    // B's listener is registered after A's: had A's wait survived, its notification would have come first.
    expect(progressOf('A').length).toBe(aBefore)
    expect(server.stats().waiting).toBe(1)
    call.resolve(coderOutput())
    await until(() => inbox.some((m) => 'id' in m && m.id === 4))
    expect(server.stats()).toMatchObject({ running: 0, queued: 0, waiting: 0 })
    expect((inbox.find((m) => 'id' in m && m.id === 4) as any).result.structuredContent.status).toBe('completed')
    // The cancelled request gets no response at all.
    expect(inbox.some((m) => 'id' in m && m.id === 3)).toBe(false)
  })
})

describe('Streamable HTTP', () => {
  it('serve({http}) speaks MCP to the SDK client: submit, wait with progress, completed', async () => {
    const ctl = controllableDelegate()
    const server = createMcpServer({ coderDelegate: ctl.delegate })
    servers.push(server)
    const { url } = await server.serve({ http: { port: 0, host: '127.0.0.1' } })
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
    const client = new Client({ name: 'http-test', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(new URL(url!)))
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('delegation_cancel')
    const { taskId } = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'g', repoRoot: '/r' } }))
    const call = await ctl.next()
    const progress: unknown[] = []
    const waiting = client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }, undefined, { onprogress: (p) => progress.push(p) })
    while (progress.length === 0) {
      call.ctx.report({ iteration: 0, phase: 'starting' })
      await new Promise((r) => setTimeout(r, 20))
    }
    call.resolve(coderOutput('http patch'))
    expect(structured(await waiting)).toMatchObject({ status: 'completed', result: { output: { output: { patch: 'http patch' } } } })
    const bad = await client.callTool({ name: 'delegate_code', arguments: { goal: 'g' } }).catch((e: { code: number; message: string }) => e)
    expect(bad).toMatchObject({ code: -32602 })
    expect((bad as { message: string }).message).toContain('"repoRoot"')
    await client.close()
  })

  it('handleHttpRequest is a fetch-style handler: it opens sessions and refuses unknown ones', async () => {
    const server = createMcpServer()
    servers.push(server)
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
    const init = await server.handleHttpRequest(
      new Request('http://local/mcp', {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'f', version: '1' } } }),
      }),
    )
    expect(init.status).toBe(200)
    const session = init.headers.get('mcp-session-id')
    expect(session).toBeTruthy()
    const body = await init.text()
    expect(body).toContain('"serverInfo"')
    expect(body).toContain('agent-runtime-mcp')
    const stale = await server.handleHttpRequest(
      new Request('http://local/mcp', { method: 'POST', headers: { ...headers, 'mcp-session-id': 'nope' }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) }),
    )
    expect(stale.status).toBe(404)
    expect(await stale.json()).toMatchObject({ error: { message: expect.stringContaining('nope') } })
    const parse = await server.handleHttpRequest(new Request('http://local/mcp', { method: 'POST', headers: { ...headers, 'mcp-session-id': session! }, body: '{not json' }))
    expect(parse.status).toBe(400)
    expect(await parse.json()).toMatchObject({ error: { code: -32700 } })
  })

  it('a POST without a session that is not initialize is refused and leaves no MCP connection open', async () => {
    const server = createMcpServer()
    servers.push(server)
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
    for (let id = 1; id <= 3; id++) {
      const res = await server.handleHttpRequest(new Request('http://local/mcp', { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list' }) }))
      expect(res.status).toBe(400)
      expect(await res.json()).toMatchObject({ error: { message: expect.stringContaining('not initialized') } })
    }
    expect(server.stats().connections).toBe(0)
    const init = await server.handleHttpRequest(
      new Request('http://local/mcp', {
        method: 'POST',
        headers,
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'f', version: '1' } } }),
      }),
    )
    expect(init.headers.get('mcp-session-id')).toBeTruthy()
    expect(server.stats().connections).toBe(1)
  })

  it('closes HTTP sessions left idle longer than httpSessionIdleMs', async () => {
    let now = 1_000_000
    const server = createMcpServer({ now: () => now, httpSessionIdleMs: 60_000 })
    servers.push(server)
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
    const init = () =>
      server.handleHttpRequest(
        new Request('http://local/mcp', {
          method: 'POST',
          headers,
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'f', version: '1' } } }),
        }),
      )
    const list = (session: string) =>
      server.handleHttpRequest(new Request('http://local/mcp', { method: 'POST', headers: { ...headers, 'mcp-session-id': session }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) }))
    const a = (await init()).headers.get('mcp-session-id')!
    now += 59_000
    expect((await list(a)).status).toBe(200)
    now += 59_000 // used 59 s ago: still open
    expect((await list(a)).status).toBe(200)
    now += 61_000
    await init() // any request sweeps idle sessions
    expect((await list(a)).status).toBe(404)
  })
})
