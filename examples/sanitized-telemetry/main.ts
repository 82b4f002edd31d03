/**
 * sanitized-telemetry: what leaves the process by default. A task carrying a
 * customer's text runs through a backend that echoes it, calls a tool with it
 * and then fails with an upstream error page. The collector and the SSE frames
 * keep ids, counts, lengths and statuses — never the text, tool args or error
 * body — unless you opt in with `includeControlPayloads`.
 */
import {
  BackendTransportError,
  createRuntimeStreamEventCollector,
  runAgentTaskStream,
  runtimeStreamServerSentEvent,
} from '@tangle-network/agent-runtime'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

const customerText = 'My card 4111 1111 1111 1111 was charged twice'
const task = { id: 'billing-dispute', intent: 'support.billing', inputs: { message: customerText } }

const backend = createScriptedBackend({
  turns: [
    [
      { type: 'llm_call', model: 'support-model', tokensIn: 310, tokensOut: 45, costUsd: 0.0009 },
      { type: 'tool_call', toolName: 'lookup_charges', toolCallId: 't1', args: { card: '4111 1111 1111 1111' } },
      { type: 'text_delta', text: `I see: "${customerText}". ` },
    ],
  ],
  fail: { error: new BackendTransportError('support-model', 'upstream 502', { status: 502, body: `<html>proxy error for ${customerText}</html>` }) },
})

// A fixed clock and session id keep the printed output stable.
const run = { now: () => Date.parse('2025-06-01T12:00:00Z'), newId: () => 'session-1' }
const collector = createRuntimeStreamEventCollector()
let finalFrame = ''
for await (const event of runAgentTaskStream({ task, backend, input: { task, message: customerText }, ...run })) {
  collector.push(event)
  // What a browser would receive over SSE; the task is dropped here only to keep the frame short.
  if (event.type === 'final') finalFrame = runtimeStreamServerSentEvent({ ...event, task: undefined, session: undefined })
}

console.log('sanitized events (task and session fields omitted here for brevity):')
for (const { task: _t, session: _s, timestamp: _ts, ...rest } of collector.events) console.log(`  ${JSON.stringify(rest)}`)
const { countsByType: _c, ...totals } = collector.summary()
console.log(`summary: ${JSON.stringify(totals)}`)
console.log('SSE frame of the final event:')
process.stdout.write(finalFrame)
const leaked = JSON.stringify(collector.events).includes('4111') || finalFrame.includes('4111')
console.log(`card number in telemetry: ${leaked ? 'LEAKED' : 'no'}`)

const optIn = createRuntimeStreamEventCollector({ includeControlPayloads: true })
const echo = createScriptedBackend({ turns: [[{ type: 'text_delta', text: customerText }]] })
for await (const event of runAgentTaskStream({ task, backend: echo, ...run })) optIn.push(event)
console.log(`with includeControlPayloads the text is kept: ${JSON.stringify(optIn.events.find((e) => e.type === 'text_delta')?.text)}`)
