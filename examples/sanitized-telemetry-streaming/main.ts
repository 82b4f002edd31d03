/**
 * sanitized-telemetry-streaming: redaction while the run is still streaming.
 * The user sees every text delta as it arrives; at the same moment each event
 * is sanitized and shipped, one NDJSON line at a time, over a single streaming
 * HTTP request to a telemetry sink (a loopback server here). The sink never
 * receives the customer's text, tool arguments or the upstream error body, and
 * it holds each line before the run moves on to the next event.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  BackendTransportError,
  createRuntimeStreamEventCollector,
  runAgentTaskStream,
  sanitizeRuntimeStreamEvent,
} from '@tangle-network/agent-runtime'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

// The telemetry sink: records each NDJSON line when it arrives.
const received: { line: string; runFinished: boolean }[] = []
let runFinished = false
// Lets the producer wait until the sink has a given number of lines (no sleeps, no races).
let waiter: { count: number; resolve: () => void } | undefined
const untilReceived = (count: number) =>
  received.length >= count
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        waiter = { count, resolve }
      })
const sink = createServer((req, res) => {
  let pending = ''
  req.setEncoding('utf8')
  req.on('data', (chunk: string) => {
    pending += chunk
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      received.push({ line: pending.slice(0, nl), runFinished })
      pending = pending.slice(nl + 1)
    }
    if (waiter && received.length >= waiter.count) waiter.resolve()
  })
  req.on('end', () => res.writeHead(204).end())
})
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/ingest`

// One long-lived request whose body is fed line by line as events happen.
let feed!: ReadableStreamDefaultController<Uint8Array>
const body = new ReadableStream<Uint8Array>({
  start: (c) => {
    feed = c
  },
})
const shipped = fetch(sinkUrl, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' }, duplex: 'half' } as RequestInit)
const encoder = new TextEncoder()

const customerText = 'Please refund order 8812 to IBAN DE44 5001 0517 5407 3249 31'
const task = { id: 'refund-request', intent: 'support.refund', inputs: { message: customerText } }
const backend = createScriptedBackend({
  turns: [
    [
      { type: 'llm_call', model: 'support-model', tokensIn: 280, tokensOut: 40, costUsd: 0.0008 },
      { type: 'text_delta', text: 'Refunding order 8812 ' },
      { type: 'tool_call', toolName: 'issue_refund', toolCallId: 'r1', args: { iban: 'DE44 5001 0517 5407 3249 31' } },
      { type: 'text_delta', text: 'to DE44 5001 0517 5407 3249 31.' },
    ],
  ],
  fail: { error: new BackendTransportError('support-model', 'upstream 503', { status: 503, body: 'IBAN DE44 5001 0517 5407 3249 31 rejected' }) },
})

const fixed = { now: () => Date.parse('2026-02-01T08:00:00Z'), newId: () => 'session-1' }
const summary = createRuntimeStreamEventCollector()
let userView = ''
let sent = 0
for await (const event of runAgentTaskStream({ task, backend, input: { task, message: customerText }, ...fixed })) {
  if (event.type === 'text_delta') userView += event.text // the user's own screen gets the real text
  summary.push(event)
  feed.enqueue(encoder.encode(`${JSON.stringify(sanitizeRuntimeStreamEvent(event))}\n`))
  // Shown for the demo: the sink holds this line before the run moves on.
  await untilReceived(++sent)
}
runFinished = true
feed.close()
await shipped
sink.close()

console.log(`user saw: ${userView}`)
console.log(`sink got ${received.length} lines, ${received.filter((r) => !r.runFinished).length} of them before the run ended:`)
for (const { line } of received) {
  const { task: _t, session: _s, timestamp: _ts, knowledge: _k, decision, ...rest } = JSON.parse(line)
  console.log(`  ${JSON.stringify(decision ? { ...rest, status: decision.status } : rest)}`)
}
const { countsByType: _c, ...totals } = summary.summary()
console.log(`summary: ${JSON.stringify(totals)}`)
const leaked = received.some((r) => r.line.includes('DE44') || r.line.includes('8812'))
console.log(`account number in telemetry: ${leaked ? 'LEAKED' : 'no'}`)
