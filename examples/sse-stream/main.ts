/**
 * sse-stream: serves an agent task as Server-Sent Events and reads it back the
 * way a client does, over real loopback HTTP. `--serve` keeps the server up so
 * you can open the printed URL in a browser (its page uses `EventSource`).
 */
import { startSseServer } from './server.js'

const serve = process.argv.includes('--serve')
const { url, server } = await startSseServer(serve ? Number(process.env.PORT ?? 8787) : 0)
if (serve) {
  console.log(`open ${url}/ (Ctrl-C to stop)`)
} else {
  const response = await fetch(`${url}/events`)
  console.log(`GET /events → ${response.status} ${response.headers.get('content-type')}`)
  // A minimal SSE reader: frames end with a blank line; fields are `name: value` lines.
  let buffer = ''
  const decoder = new TextDecoder()
  const reader = response.body!.getReader()
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    buffer += decoder.decode(chunk.value, { stream: true })
    let end = buffer.indexOf('\n\n')
    while (end !== -1) {
      const fields = Object.fromEntries(buffer.slice(0, end).split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]))
      buffer = buffer.slice(end + 2)
      end = buffer.indexOf('\n\n')
      const data = JSON.parse(fields.data ?? 'null')
      const detail = data.type === 'text_delta' ? ` textLength=${data.textLength}` : data.type === 'final' ? ` status=${data.status}` : ''
      console.log(`id ${fields.id} · event ${fields.event}${detail}${fields.retry ? ` · retry ${fields.retry}ms` : ''}`)
    }
  }
  server.close()
}
