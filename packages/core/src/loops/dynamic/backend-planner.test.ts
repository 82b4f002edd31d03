import { type IncomingMessage, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BackendTransportError, PlannerError, ValidationError, createOpenAICompatibleBackend } from '@tangle-network/agent-runtime-core'
import { type PlannerContext, createBackendPlanner, createDynamicDriver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedBackend, createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import { describe, expect, it } from 'vitest'

const fence = (obj: unknown) => `\`\`\`json\n${JSON.stringify(obj)}\n\`\`\``

function ctx(partial: Partial<PlannerContext<string>> = {}): PlannerContext<string> {
  return { task: 'root', history: [], iterationsSpent: 0, iterationsRemaining: 5, roundIndex: 0, findings: [], ...partial }
}

function workers() {
  return createScriptedSandboxClient({ respond: (prompt) => [{ type: 'result', data: { finalText: prompt } }] })
}

const loopBase = {
  agentRun: { profile: { name: 'w' }, taskToPrompt: (t: string) => t },
  output: { parse: (events: { data: Record<string, unknown> }[]) => String(events.at(-1)?.data.finalText) },
  validator: { validate: (out: string) => ({ valid: out === 'b', score: out === 'b' ? 1 : 0.2 }) },
  task: 'root',
}

describe('createBackendPlanner with a scripted backend', () => {
  it('plans a dynamic loop from streamed text, with the same envelope as the sandbox planner', async () => {
    const backend = createScriptedBackend({
      turns: [
        [
          { type: 'text_delta', text: 'Let us fan out.\n```json\n{"kind":"fanout",' },
          { type: 'text_delta', text: '"tasks":["a","b"],"rationale":"two tries"}\n```' },
          { type: 'final', status: 'completed', reason: 'stop' },
        ],
        [{ type: 'final', status: 'completed', reason: 'stop', text: fence({ kind: 'select', index: 1, rationale: 'b passed' }) }],
      ],
    })
    const driver = createDynamicDriver<string, string>({ planner: createBackendPlanner({ backend, system: 'You are a planner.' }) })
    const result = await runLoop({ ...loopBase, driver, selectWinner: driver.selectWinner, ctx: { sandboxClient: workers() } })
    expect(result.iterations.map((it) => it.task)).toEqual(['a', 'b'])
    expect(result.winner?.iterationIndex).toBe(1)
    expect(backend.calls).toHaveLength(2)
    expect(backend.calls[0].messages?.[0]).toEqual({ role: 'system', content: 'You are a planner.' })
    expect(backend.calls[0].messages?.[1].content).toContain('Iterations spent: 0. Remaining before the hard cap: 8.')
    expect(backend.calls[1].message).toContain('#1 · round 0 · agent w')
    expect(backend.calls[1].task).toEqual({ id: 'loop-planner-r1', intent: 'loop.plan' })
  })

  it('decodes tasks, uses a custom prompt and parser', async () => {
    const backend = createScriptedBackend({ turns: () => [{ type: 'text_delta', text: 'REFINE:deeper' }] })
    const planner = createBackendPlanner<{ goal: string }>({
      backend,
      decodeTask: (raw) => ({ goal: String(raw) }),
      buildPrompt: (c) => `round=${c.roundIndex}`,
      parseEnvelope: (text) => ({ kind: 'refine', tasks: [text.split(':')[1]] }),
    })
    expect(await planner({ ...ctx(), task: { goal: 'root' }, roundIndex: 3 } as never)).toEqual({ kind: 'refine', task: { goal: 'deeper' } })
    expect(backend.calls[0].message).toBe('round=3')
  })

  it('throws PlannerError on a failed backend turn or a reply without an envelope', async () => {
    const cases = [
      { events: [{ type: 'backend_error', backend: 'x', message: 'quota', recoverable: false }], msg: /Planner backend scripted failed: quota/ },
      { events: [{ type: 'final', status: 'failed', reason: 'crash' }], msg: /Planner backend scripted ended failed: crash/ },
      { events: [{ type: 'text_delta', text: 'no idea' }], msg: /no parseable topology-move envelope/ },
    ]
    for (const { events, msg } of cases) {
      const planner = createBackendPlanner<string>({ backend: createScriptedBackend({ turns: [events as never] }) })
      const err = await Promise.resolve(planner(ctx())).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(PlannerError)
      expect(err as PlannerError).toMatchObject({ code: 'validation', kind: 'planner' })
      expect((err as Error).message).toMatch(msg)
    }
    const recovered = createBackendPlanner<string>({
      backend: createScriptedBackend({
        turns: [[{ type: 'backend_error', backend: 'x', message: 'retrying', recoverable: true }, { type: 'text_delta', text: fence({ kind: 'stop' }) }]],
      }),
    })
    expect(await recovered(ctx())).toEqual({ kind: 'stop' })
  })

  it('validates its options', () => {
    expect(() => createBackendPlanner({ backend: {} as never })).toThrow(ValidationError)
    expect(() => createBackendPlanner({ backend: {} as never })).toThrow(/backend.stream is required/)
    expect(() => createBackendPlanner({ backend: createScriptedBackend({ turns: [[]] }), decodeTask: 1 as never })).toThrow(/decodeTask must be a function, got number/)
  })
})

/** A loopback OpenAI-compatible server that streams chat completions over SSE. */
async function startChatServer(reply: (body: { model: string; messages: { role: string; content: string }[] }) => string | { status: number }) {
  const bodies: { model: string; messages: { role: string; content: string }[]; stream: boolean }[] = []
  const server = createServer((req: IncomingMessage, res) => {
    let raw = ''
    req.on('data', (c) => {
      raw += c
    })
    req.on('end', () => {
      const body = JSON.parse(raw)
      bodies.push(body)
      const out = reply(body)
      if (typeof out !== 'string') {
        res.writeHead(out.status, { 'content-type': 'application/json' }).end('{"error":{"message":"model overloaded"}}')
        return
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      const pieces = out.match(/[\s\S]{1,7}/g) ?? []
      for (const piece of pieces) res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece } }] })}\n\n`)
      res.write(`data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`)
      res.write(`data: ${JSON.stringify({ id: 'c1', choices: [], usage: { prompt_tokens: 50, completion_tokens: 12 } })}\n\n`)
      res.end('data: [DONE]\n\n')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return { baseUrl: `http://127.0.0.1:${port}/v1`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) }
}

describe('createBackendPlanner over a real OpenAI-compatible SSE server', () => {
  it('runs a dynamic loop planned by the model', async () => {
    const chat = await startChatServer(({ messages }) => {
      const prompt = messages.at(-1)?.content ?? ''
      return prompt.includes('Iterations spent: 0.')
        ? `I will refine once.\n${fence({ kind: 'refine', tasks: ['b'], rationale: 'direct attempt' })}`
        : `Done.\n${fence({ kind: 'stop', rationale: 'valid result' })}`
    })
    try {
      const backend = createOpenAICompatibleBackend({ baseUrl: chat.baseUrl, model: 'planner-mini' })
      const driver = createDynamicDriver<string, string>({ planner: createBackendPlanner({ backend }) })
      const result = await runLoop({ ...loopBase, driver, ctx: { sandboxClient: workers() } })
      expect(result.iterations.map((it) => it.task)).toEqual(['b'])
      expect(result.winner?.iterationIndex).toBe(0)
      expect(result.decision).toBe('done')
      expect(chat.bodies).toHaveLength(2)
      expect(chat.bodies[0]).toMatchObject({ model: 'planner-mini', stream: true })
      expect(chat.bodies[1].messages[0].content).toContain('Iterations spent: 1. Remaining before the hard cap: 7.')
      expect(driver.describePlan()).toEqual({ kind: 'stop', rationale: 'valid result', parentIndex: undefined })
    } finally {
      await chat.close()
    }
  })

  it('surfaces an HTTP failure of the planning model as a transport error that ends the loop', async () => {
    const chat = await startChatServer(() => ({ status: 400 }))
    try {
      const backend = createOpenAICompatibleBackend({ baseUrl: chat.baseUrl, model: 'planner-mini', retry: { maxAttempts: 1 } })
      const driver = createDynamicDriver<string, string>({ planner: createBackendPlanner({ backend }) })
      const err = await runLoop({ ...loopBase, driver, ctx: { sandboxClient: workers() } }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(BackendTransportError)
      expect((err as BackendTransportError).status).toBe(400)
      expect((err as Error).message).toMatch(/returned 400/)
      expect((err as BackendTransportError).body).toMatch(/model overloaded/)
    } finally {
      await chat.close()
    }
  })
})
