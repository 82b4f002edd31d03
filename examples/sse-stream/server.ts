/**
 * A route that streams one agent task to a browser as Server-Sent Events:
 * `GET /events` answers `text/event-stream`, one frame per runtime event
 * (sanitized: lengths and statuses, never the user's text), each with an `id`,
 * plus a readiness frame first. `GET /` serves a page that reads it with the
 * browser's own `EventSource`.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type AgentTaskSpec,
  readinessServerSentEvent,
  runAgentTaskStream,
  runtimeStreamServerSentEvent,
  scoreKnowledgeReadiness,
} from '@tangle-network/agent-runtime'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

const PAGE = `<!doctype html><meta charset="utf-8"><title>sse-stream</title><ul id="log"></ul>
<script>
  const log = document.getElementById('log')
  const source = new EventSource('/events')
  window.received = []
  for (const name of ['readiness', 'task_start', 'text_delta', 'llm_call', 'final']) {
    source.addEventListener(name, (e) => {
      window.received.push({ event: name, id: e.lastEventId, data: JSON.parse(e.data) })
      const li = document.createElement('li'); li.textContent = name + ' #' + e.lastEventId; log.append(li)
      if (name === 'final') { source.close(); window.done = true }
    })
  }
</script>`

const task: AgentTaskSpec = { id: 'summarise', intent: 'summarise a document', inputs: { document: 'Q3 revenue grew 12% to $4.1M.' } }
const backend = createScriptedBackend({
  turns: () => [
    { type: 'llm_call', model: 'demo-model', tokensIn: 120, tokensOut: 18, costUsd: 0.0002 },
    { type: 'text_delta', text: 'Revenue grew ' },
    { type: 'text_delta', text: '12% in Q3.' },
  ],
})
// A fixed clock and session id keep the frames stable.
const fixed = { now: () => Date.parse('2026-01-05T10:00:00Z'), newId: () => 'session-1' }

/** Starts the server on 127.0.0.1 (port 0 = any free port) and resolves with its URL. */
export async function startSseServer(port = 0): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
      return
    }
    if (req.url !== '/events') {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    const abort = new AbortController()
    res.on('close', () => abort.abort())
    let id = 0
    const report = scoreKnowledgeReadiness({ taskId: task.id, requirements: [], now: fixed.now })
    // retry: tells EventSource how long to wait before reconnecting.
    res.write(readinessServerSentEvent(report, { event: 'readiness', id: String(id++), retry: 5000 }))
    for await (const event of runAgentTaskStream({ task, backend, input: { task, message: 'summarise it' }, signal: abort.signal, ...fixed })) {
      res.write(runtimeStreamServerSentEvent(event, { id: String(id++) }))
    }
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}
