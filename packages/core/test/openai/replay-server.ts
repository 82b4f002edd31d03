/**
 * A loopback HTTP server that replays chat-completion responses byte for
 * byte: each test registers a script (one response per attempt) and gets a
 * base URL of its own, so tests can run concurrently against one server.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One scripted HTTP response. */
export interface ReplayResponse {
  status?: number
  headers?: Record<string, string>
  /** The body; split into `chunks` pieces of this many bytes when `chunkBytes` is set. */
  body?: string | Uint8Array
  /** Explicit body pieces, written one by one (overrides `body`). */
  chunks?: (string | Uint8Array)[]
  /** Bytes per written piece when cutting `body`. */
  chunkBytes?: number
  /** Pause between pieces. */
  chunkDelayMs?: number
  /** Pause before the status line and headers go out. */
  headerDelayMs?: number
  /** Never send the status line: hold the request until the client gives up (a server that hangs). */
  holdHeaders?: boolean
  /** Destroy the socket after writing this many pieces (a mid-stream disconnect). */
  disconnectAfterChunks?: number
  /** Stop writing after this many pieces and keep the connection open. */
  stallAfterChunks?: number
}

/** What the server saw of one request. */
export interface RecordedRequest {
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: any
}

export interface ReplayScript {
  /** Pass as `baseUrl` to the backend. */
  baseUrl: string
  requests: RecordedRequest[]
}

export interface ReplayServer {
  url: string
  /** Registers responses: request n gets `responses[min(n, last)]`. */
  script(...responses: ReplayResponse[]): ReplayScript
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function pieces(r: ReplayResponse): Uint8Array[] {
  if (r.chunks) return r.chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : (r.body ?? new Uint8Array())
  if (!r.chunkBytes) return [body]
  const out: Uint8Array[] = []
  for (let i = 0; i < body.length; i += r.chunkBytes) out.push(body.subarray(i, i + r.chunkBytes))
  return out
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = []
  for await (const p of req) parts.push(p as Buffer)
  return Buffer.concat(parts).toString('utf8')
}

async function respond(res: ServerResponse, r: ReplayResponse): Promise<void> {
  if (r.holdHeaders) {
    if (!res.destroyed) await new Promise<void>((resolve) => res.once('close', () => resolve()))
    return
  }
  if (r.headerDelayMs) await sleep(r.headerDelayMs)
  if (res.destroyed) return
  res.writeHead(r.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...r.headers })
  res.flushHeaders()
  const list = pieces(r)
  for (let i = 0; i < list.length; i++) {
    if (r.disconnectAfterChunks !== undefined && i >= r.disconnectAfterChunks) {
      res.socket?.destroy()
      return
    }
    if (r.stallAfterChunks !== undefined && i >= r.stallAfterChunks) return
    if (res.destroyed) return
    res.write(list[i])
    if (r.chunkDelayMs) await sleep(r.chunkDelayMs)
  }
  if (r.disconnectAfterChunks !== undefined) {
    res.socket?.destroy()
    return
  }
  if (r.stallAfterChunks !== undefined) return
  res.end()
}

/** Starts the replay server on 127.0.0.1 with an ephemeral port. */
export async function startReplayServer(): Promise<ReplayServer> {
  const scripts = new Map<string, { responses: ReplayResponse[]; requests: RecordedRequest[] }>()
  let next = 0
  const server: Server = createServer(async (req, res) => {
    const match = /^\/r\/(\d+)(\/.*)$/.exec(req.url ?? '')
    const script = match ? scripts.get(match[1]) : undefined
    const raw = await readBody(req)
    if (!script || !match) {
      res.writeHead(404, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: `no script for ${req.url}` } }))
      return
    }
    let body: unknown = raw
    try {
      body = JSON.parse(raw)
    } catch {
      // Keep the raw text.
    }
    script.requests.push({ method: req.method ?? '', path: match[2], headers: req.headers, body })
    const response = script.responses[Math.min(script.requests.length - 1, script.responses.length - 1)]
    await respond(res, response).catch(() => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    script(...responses) {
      const id = String(next++)
      const entry = { responses, requests: [] as RecordedRequest[] }
      scripts.set(id, entry)
      return { baseUrl: `${url}/r/${id}/v1`, requests: entry.requests }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A loopback port with nothing listening (for connection-refused tests). */
export async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
