// A local stand-in for the sandbox API and its sidecar, so the example runs
// without a key: `POST /v1/sandboxes` answers a running box whose sidecar is
// this same server, and `POST /agents/run/stream` streams an agent turn as SSE
// frames in the sidecar's event vocabulary.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

function turn(message: string): [string, Record<string, unknown>][] {
  const answer = `I listed the workspace for "${message}": one README.`
  const words = answer.split(/(?<= )/)
  return [
    ['connection.established', {}],
    ['status', { status: 'running' }],
    ['message.part.updated', { part: { id: 'p1', type: 'reasoning', text: 'Check the files first.' }, delta: 'Check the files first.' }],
    ['tool_call', { id: 'call-1', name: 'bash', arguments: '{"command":"ls"}' }],
    ['tool_result', { id: 'call-1', name: 'bash', output: 'README.md\n' }],
    ...words.map((_, i): [string, Record<string, unknown>] => ['message.part.updated', { part: { id: 'p2', type: 'text', text: words.slice(0, i + 1).join('') }, delta: words[i] }]),
    ['trace.id', { traceId: 'trace-local-1' }],
    ['result', { finalText: answer, tokenUsage: { inputTokens: 310, outputTokens: 48 }, costUsd: 0.00075 }],
    ['done', {}],
  ]
}

export async function startLocalSidecar(): Promise<{ url: string; close: () => Promise<void> }> {
  let boxes = 0
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const part of req) body += part
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    if (req.method === 'POST' && req.url === '/v1/sandboxes') {
      res.writeHead(201, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: `local-box-${++boxes}`, status: 'running', connection: { sidecarUrl: url, authToken: 'local-token' } }))
    } else if (req.method === 'DELETE' && req.url?.startsWith('/v1/sandboxes/')) {
      res.writeHead(204).end()
    } else if (req.method === 'POST' && req.url === '/agents/run/stream') {
      const { message } = JSON.parse(body) as { message: string }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      let id = 0
      for (const [type, data] of turn(message)) {
        res.write(`event: ${type}\nid: ${++id}\ndata: ${JSON.stringify(data)}\n\n`)
        await new Promise((r) => setTimeout(r, 5))
      }
      res.end()
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route ${req.method} ${req.url}` }))
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}
