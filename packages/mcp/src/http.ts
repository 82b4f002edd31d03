/**
 * Streamable HTTP for the delegation server: a fetch-style handler
 * (`Request` → `Response`, mountable in Hono, Workers, Bun, Deno or any Node
 * adapter) routing each MCP session to its own SDK transport, and a small
 * `node:http` listener around it for `serve({ http })`.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { errorMessage } from '@tangle-network/agent-runtime-core'

/** A fetch-style request handler. @experimental */
export type HttpHandler = (request: Request) => Promise<Response>

function jsonRpcError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } }), {
    status,
    headers: { 'content-type': 'application/json' },
  })
}

/** @internal */
export function createHttpHandler(deps: {
  connect: (t: Transport) => Promise<McpServer>
  isStopped: () => boolean
  log: (line: string) => void
  now: () => number
  /** Sessions unused this long are closed (clients that never send DELETE). */
  sessionIdleMs: number
}): HttpHandler {
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>()
  const lastSeen = new Map<string, number>()
  // Swept on each request rather than by a timer, so an idle server holds no timer.
  const sweep = (at: number) => {
    for (const [id, seen] of lastSeen) {
      if (at - seen < deps.sessionIdleMs) continue
      lastSeen.delete(id)
      const transport = sessions.get(id)
      sessions.delete(id)
      transport?.close().catch(() => {})
    }
  }
  return async (request) => {
    if (deps.isStopped()) return jsonRpcError(503, -32099, 'the delegation server is stopped')
    const at = deps.now()
    sweep(at)
    const sessionId = request.headers.get('mcp-session-id')
    if (sessionId) {
      const transport = sessions.get(sessionId)
      if (!transport) return jsonRpcError(404, -32001, `unknown MCP session ${JSON.stringify(sessionId)}; initialize a new session`)
      lastSeen.set(sessionId, at)
      return transport.handleRequest(request)
    }
    if (request.method !== 'POST') return jsonRpcError(400, -32000, 'send an initialize request (POST) first; it returns the mcp-session-id header')
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => globalThis.crypto.randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport)
        lastSeen.set(id, at)
      },
      onsessionclosed: (id) => {
        sessions.delete(id)
        lastSeen.delete(id)
      },
    })
    transport.onclose = () => {
      if (transport.sessionId) {
        sessions.delete(transport.sessionId)
        lastSeen.delete(transport.sessionId)
      }
    }
    try {
      await deps.connect(transport)
    } catch (err) {
      deps.log(`mcp http: could not open a session: ${errorMessage(err)}`)
      return jsonRpcError(500, -32603, `could not open a session: ${errorMessage(err)}`)
    }
    const response = await transport.handleRequest(request)
    // Anything but an accepted initialize opens no session: close the transport (and the server connected to it) now.
    if (!transport.sessionId) await transport.close().catch(() => {})
    return response
  }
}

/** @internal */
export async function listenHttp(
  handler: HttpHandler,
  options: { port: number; host?: string; path?: string },
): Promise<{ url: string; close: () => Promise<void> }> {
  const { createServer } = await import('node:http')
  const host = options.host ?? '127.0.0.1'
  const path = options.path ?? '/mcp'
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`)
    if (url.pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the MCP endpoint is ${path}\n`)
      return
    }
    const aborter = new AbortController()
    res.on('close', () => aborter.abort())
    try {
      const chunks: Uint8Array[] = []
      for await (const chunk of req) chunks.push(chunk as Uint8Array)
      const headers = new Headers()
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v)
      const method = req.method ?? 'GET'
      const body = method === 'GET' || method === 'HEAD' || chunks.length === 0 ? undefined : Buffer.concat(chunks)
      const response = await handler(new Request(url, { method, headers, body, signal: aborter.signal }))
      const out: Record<string, string> = {}
      response.headers.forEach((v, k) => {
        out[k] = v
      })
      res.writeHead(response.status, out)
      res.flushHeaders()
      if (!response.body) {
        res.end()
        return
      }
      const reader = response.body.getReader()
      aborter.signal.addEventListener('abort', () => reader.cancel().catch(() => {}), { once: true })
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        res.write(value)
      }
      res.end()
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`internal error: ${errorMessage(err)}\n`)
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, host, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
