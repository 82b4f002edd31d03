// A stand-in for an OpenAI-compatible server on loopback, so the example runs
// without a key. It speaks the real wire format: SSE `chat.completion.chunk`
// frames, tool calls streamed by index, a usage-only tail, `data: [DONE]`.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

type ChatRequest = { model: string; messages: { role: string; content: string }[]; tools?: { function: { name: string } }[] }

function frame(model: string, delta: object, finishReason: string | null = null): string {
  const chunk = { id: 'chatcmpl-local', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finishReason }] }
  return `data: ${JSON.stringify(chunk)}\n\n`
}

function reply(req: ChatRequest): string[] {
  const question = req.messages.at(-1)?.content ?? ''
  const out = [frame(req.model, { role: 'assistant', content: '' })]
  for (const word of `You asked: "${question}". Let me look that up.`.split(/(?<= )/)) out.push(frame(req.model, { content: word }))
  const tool = req.tools?.[0]?.function.name
  if (tool) {
    out.push(frame(req.model, { tool_calls: [{ index: 0, id: 'call_local_1', type: 'function', function: { name: tool, arguments: '' } }] }))
    for (const part of ['{"loca', 'tion": "Pa', 'ris"}']) out.push(frame(req.model, { tool_calls: [{ index: 0, function: { arguments: part } }] }))
  }
  out.push(frame(req.model, {}, tool ? 'tool_calls' : 'stop'))
  out.push(`data: ${JSON.stringify({ id: 'chatcmpl-local', object: 'chat.completion.chunk', created: 0, model: req.model, choices: [], usage: { prompt_tokens: 42, completion_tokens: out.length } })}\n\n`)
  out.push('data: [DONE]\n\n')
  return out
}

/** Starts the local model; returns its base URL (ending in /v1) and a close function. */
export async function startLocalModel(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const part of req) body += part
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }))
      return
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' })
    for (const f of reply(JSON.parse(body) as ChatRequest)) {
      res.write(f)
      await new Promise((r) => setTimeout(r, 5))
    }
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { baseUrl: `http://127.0.0.1:${port}/v1`, close: () => new Promise((resolve) => server.close(() => resolve())) }
}
