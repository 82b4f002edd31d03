import {
  AgentRuntimeError,
  type AgentBackendContext,
  type BackendStreamEvent,
  createSandboxPromptBackend,
  isAbortError,
  reduceSandboxEvents,
  runAgentTaskStream,
  type SandboxBox,
  type SandboxEvent,
  type SandboxPromptOptions,
  ValidationError,
} from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

const task = { id: 't1', intent: 'fix-bug' }
const at = '2025-01-01T00:00:00.000Z'
const session = { id: 'sess-9', backend: 'sandbox', status: 'active' as const, createdAt: at, updatedAt: at }
const ctx = (extra: Partial<AgentBackendContext> = {}): AgentBackendContext => ({ task, session, ...extra })

function box(events: SandboxEvent[], calls: { message: string; options?: SandboxPromptOptions }[] = []): SandboxBox {
  return {
    id: 'box-1',
    async *streamPrompt(message, options) {
      calls.push({ message, options })
      for (const e of events) yield e
    },
  }
}

async function drain(it: AsyncIterable<BackendStreamEvent>): Promise<BackendStreamEvent[]> {
  const out: BackendStreamEvent[] = []
  for await (const e of it) out.push(e)
  return out
}

const opencodeStream: SandboxEvent[] = [
  { type: 'connection.established', data: {} },
  { type: 'message.part.updated', data: { part: { id: 'p1', type: 'reasoning', text: 'think' }, delta: 'think' } },
  { type: 'message.part.updated', data: { part: { id: 'p2', type: 'text', text: 'Hel' }, delta: 'Hel' } },
  { type: 'message.part.updated', data: { part: { id: 'p2', type: 'text', text: 'Hello' }, delta: 'lo' } },
  { type: 'tool_call', data: { name: 'bash', arguments: '{"cmd":"ls"}', id: 'call-1' } },
  { type: 'tool_result', data: { name: 'bash', output: 'a.txt', id: 'call-1' } },
  { type: 'message.part.updated', data: { part: { id: 'p3', type: 'text', text: ' world' } } },
  { type: 'artifact', data: { id: 'art-1', name: 'report.md', mimeType: 'text/markdown', content: '# r' } },
  { type: 'artifact', data: { name: 'no id, dropped' } },
  { type: 'filing', data: { id: 'pr-1', title: 'Fix the bug', status: 'open' } },
  { type: 'trace.id', data: { traceId: 'tr-1' } },
  { type: 'result', data: { finalText: 'Hello world.', tokenUsage: { inputTokens: 120, outputTokens: 30 }, costUsd: 0.002, model: 'anthropic/claude' } },
  { type: 'message.part.updated', data: { part: { id: 'p4', type: 'text', text: 'after the end' } } },
]

describe('createSandboxPromptBackend', () => {
  it('maps sandbox events to runtime events and stops at result', async () => {
    const backend = createSandboxPromptBackend({ getBox: async () => box(opencodeStream) })
    expect(backend.kind).toBe('sandbox')
    expect(await drain(backend.stream({ task, message: 'go' }, ctx()))).toEqual([
      { type: 'reasoning_delta', text: 'think' },
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo' },
      { type: 'tool_call', toolName: 'bash', toolCallId: 'call-1', args: { cmd: 'ls' } },
      { type: 'tool_result', toolName: 'bash', toolCallId: 'call-1', result: 'a.txt' },
      { type: 'text_delta', text: ' world' },
      { type: 'artifact', artifactId: 'art-1', name: 'report.md', mimeType: 'text/markdown', content: '# r' },
      { type: 'proposal_created', proposalId: 'pr-1', title: 'Fix the bug', status: 'open' },
      { type: 'text_delta', text: '.' },
      { type: 'llm_call', model: 'anthropic/claude', tokensIn: 120, tokensOut: 30, costUsd: 0.002 },
    ])
  })

  it('streams the same text the shared reducer folds', async () => {
    const backend = createSandboxPromptBackend({ getBox: async () => box(opencodeStream) })
    const streamed = (await drain(backend.stream({ task }, ctx()))).flatMap((e) => (e.type === 'text_delta' ? [e.text] : [])).join('')
    const folded = await reduceSandboxEvents(opencodeStream)
    expect(streamed).toBe(folded.text)
    expect(folded).toMatchObject({ text: 'Hello world.', traceId: 'tr-1', usage: { inputTokens: 120, outputTokens: 30, costUsd: 0.002 }, terminated: true })
  })

  it('sends the message, session id, model, timeout, signal and context', async () => {
    const calls: { message: string; options?: SandboxPromptOptions }[] = []
    const b = box([{ type: 'done', data: {} }], calls)
    const signal = new AbortController().signal
    const backend = createSandboxPromptBackend({ getBox: async () => b, model: 'openai/gpt-4o-mini', timeoutMs: 5000 })
    await drain(backend.stream({ task, message: 'explicit' }, ctx({ signal, runId: 'run-1', propagatedHeaders: { traceparent: 'tp' } })))
    await drain(backend.stream({ task, messages: [{ role: 'user', content: 'first' }, { role: 'user', content: 'last' }] }, ctx({ session: { ...session, resumeToken: 'rt-1' } })))
    await drain(backend.stream({ task }, ctx()))
    expect(calls.map((c) => c.message)).toEqual(['explicit', 'last', 'fix-bug'])
    expect(calls[0].options).toEqual({ sessionId: 'sess-9', model: 'openai/gpt-4o-mini', timeoutMs: 5000, signal, context: { runId: 'run-1', propagatedHeaders: { traceparent: 'tp' } } })
    expect(calls[1].options?.sessionId).toBe('rt-1')
    const custom = createSandboxPromptBackend({ getBox: async () => b, getSessionId: (s) => `sidecar-${s.id}` })
    await drain(custom.stream({ task }, ctx()))
    expect(calls[3].options?.sessionId).toBe('sidecar-sess-9')
  })

  it('starts resumable sessions on the box and resumes them', async () => {
    const backend = createSandboxPromptBackend({ kind: 'sbx', getBox: async () => box([]), clock: () => Date.parse(at), idSource: () => 'new-id' })
    const started = await backend.start!({ task }, { task })
    expect(started).toEqual({ id: 'new-id', backend: 'sbx', status: 'active', createdAt: at, updatedAt: at, metadata: { resumable: true, boxId: 'box-1' } })
    expect((await backend.start!({ task }, { task, requestedSessionId: 'asked' })).id).toBe('asked')
    const resumed = await backend.resume!({ ...started, status: 'completed', updatedAt: 'old' }, { task }, ctx())
    expect(resumed).toMatchObject({ id: 'new-id', status: 'active', updatedAt: at })
  })

  it('uses mapEvent when it answers, drops on null, and falls back on undefined', async () => {
    const events: SandboxEvent[] = [
      { type: 'custom.progress', data: { pct: 50 } },
      { type: 'text_delta', data: { text: 'owned' } },
      { type: 'text_delta', data: { text: ' default' } },
      { type: 'tool_call', data: { name: 'hidden' } },
    ]
    const backend = createSandboxPromptBackend({
      getBox: async () => box(events),
      mapEvent: (e) => {
        if (e.type === 'custom.progress') return { type: 'artifact', artifactId: 'progress', content: e.data.pct }
        if (e.type === 'tool_call') return null
        if (e.data.text === 'owned') return [{ type: 'text_delta', text: 'OWNED' }]
        return undefined
      },
    })
    expect(await drain(backend.stream({ task }, ctx()))).toEqual([
      { type: 'artifact', artifactId: 'progress', content: 50 },
      { type: 'text_delta', text: 'OWNED' },
      { type: 'text_delta', text: ' default' },
    ])
  })

  it('does not re-stream a result text that diverges from what was streamed', async () => {
    const backend = createSandboxPromptBackend({
      getBox: async () =>
        box([
          { type: 'text_delta', data: { text: 'draft' } },
          { type: 'result', data: { text: 'Something else' } },
        ]),
    })
    expect(await drain(backend.stream({ task }, ctx()))).toEqual([{ type: 'text_delta', text: 'draft' }])
  })

  it('throws an AgentRuntimeError with code backend on an error event, after the events before it', async () => {
    const backend = createSandboxPromptBackend({
      getBox: async () =>
        box([
          { type: 'text_delta', data: { text: 'partial' } },
          { type: 'error', data: { error: { message: 'harness crashed' } } },
        ]),
    })
    const seen: BackendStreamEvent[] = []
    let caught: any
    try {
      for await (const e of backend.stream({ task }, ctx())) seen.push(e)
    } catch (err) {
      caught = err
    }
    expect(seen).toEqual([{ type: 'text_delta', text: 'partial' }])
    expect(caught).toBeInstanceOf(AgentRuntimeError)
    expect(caught.code).toBe('backend')
    expect(caught.message).toBe('sandbox box-1 agent reported an error: harness crashed')
  })

  it('ends as backend_error and a failed final through runAgentTaskStream', async () => {
    const backend = createSandboxPromptBackend({ getBox: async () => box([{ type: 'error', data: { message: 'out of memory' } }]) })
    const events = []
    for await (const e of runAgentTaskStream({ task, backend, input: { task, message: 'go' } })) events.push(e)
    const error = events.find((e) => e.type === 'backend_error')
    const final = events.at(-1)
    expect(error).toMatchObject({ backend: 'sandbox', recoverable: true, error: { kind: 'backend', message: 'sandbox box-1 agent reported an error: out of memory' } })
    expect(final).toMatchObject({ type: 'final', status: 'failed', error: { kind: 'backend' } })
  })

  it('stops with an AbortError when the caller aborts mid-stream', async () => {
    const controller = new AbortController()
    const b: SandboxBox = {
      id: 'b',
      async *streamPrompt() {
        yield { type: 'text_delta', data: { text: 'one' } }
        controller.abort()
        yield { type: 'text_delta', data: { text: 'two' } }
      },
    }
    const backend = createSandboxPromptBackend({ getBox: async () => b })
    const seen: BackendStreamEvent[] = []
    let caught: unknown
    try {
      for await (const e of backend.stream({ task }, ctx({ signal: controller.signal }))) seen.push(e)
    } catch (err) {
      caught = err
    }
    expect(seen).toEqual([{ type: 'text_delta', text: 'one' }])
    expect(isAbortError(caught)).toBe(true)
  })

  it('rejects a missing getBox with ValidationError', () => {
    let caught: any
    try {
      createSandboxPromptBackend({} as any)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(ValidationError)
    expect(caught.message).toMatch(/getBox must be a function/)
  })
})
