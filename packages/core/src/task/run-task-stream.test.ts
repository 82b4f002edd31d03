import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type AgentTaskSpec,
  BackendTransportError,
  InMemoryRuntimeSessionStore,
  type RuntimeStreamEvent,
  SessionMismatchError,
  createIterableBackend,
  runAgentTaskStream,
} from '@tangle-network/agent-runtime-core'
import { createScriptedBackend } from '@tangle-network/agent-runtime-core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const task: AgentTaskSpec = { id: 'greet', intent: 'greeting' }
let t = Date.parse('2025-01-01T00:00:00Z')
const now = () => (t += 1000)

async function collect(it: AsyncIterable<RuntimeStreamEvent>): Promise<RuntimeStreamEvent[]> {
  const out: RuntimeStreamEvent[] = []
  for await (const e of it) out.push(e)
  return out
}
const types = (es: RuntimeStreamEvent[]) => es.map((e) => e.type)
const last = (es: RuntimeStreamEvent[]) => es[es.length - 1]!

describe('runAgentTaskStream', () => {
  it('streams readiness, a new session, normalised backend events and a completed final with the text', async () => {
    const backend = createScriptedBackend({
      turns: [[{ type: 'text_delta', text: 'Hel' }, { type: 'llm_call', model: 'm', tokensIn: 3 }, { type: 'text_delta', text: 'lo' }]],
    })
    const store = new InMemoryRuntimeSessionStore()
    const events = await collect(runAgentTaskStream({ task, backend, sessionStore: store, now, newId: () => 'sess-1' }))
    expect(types(events)).toEqual([
      'task_start',
      'readiness_start',
      'readiness_end',
      'session_created',
      'backend_start',
      'text_delta',
      'llm_call',
      'text_delta',
      'backend_end',
      'task_end',
      'final',
    ])
    const delta = events[5] as Extract<RuntimeStreamEvent, { type: 'text_delta' }>
    expect(delta.task).toEqual(task)
    expect(delta.session?.id).toBe('sess-1')
    expect(delta.timestamp).toMatch(/^2025-01-01T00:00:\d\d\.000Z$/)
    expect(last(events)).toMatchObject({ type: 'final', status: 'completed', reason: 'backend completed', text: 'Hello' })
    expect(events[9]).toMatchObject({ status: 'completed', reason: 'backend completed' })
    expect((await store.get('sess-1'))?.status).toBe('completed')
    expect(types(await store.listEvents('sess-1'))).toEqual(['text_delta', 'llm_call', 'text_delta'])
    expect(backend.calls).toEqual([{ task }])
  })

  it('keeps the backend timestamp when it gives one and omits empty text', async () => {
    const backend = createScriptedBackend({ turns: [[{ type: 'llm_call', model: 'm', timestamp: '2020-02-02T00:00:00.000Z' }]] })
    const events = await collect(runAgentTaskStream({ task, backend }))
    expect(events.find((e) => e.type === 'llm_call')?.timestamp).toBe('2020-02-02T00:00:00.000Z')
    expect(last(events)).not.toHaveProperty('text')
  })

  it('blocks with task_end and final when readiness is blocked, without touching the backend', async () => {
    const backend = createScriptedBackend({ turns: [[]] })
    const events = await collect(
      runAgentTaskStream({
        task: {
          ...task,
          requiredKnowledge: [
            {
              id: 'tenant',
              description: 'which tenant',
              requiredFor: ['x'],
              category: 'organizational',
              acquisitionMode: 'ask_user',
              importance: 'blocking',
              freshness: 'static',
              sensitivity: 'private',
              confidenceNeeded: 1,
              currentConfidence: 0,
              evidenceIds: [],
              fallbackPolicy: 'block',
            },
          ],
        },
        backend,
      }),
    )
    expect(types(events)).toEqual(['task_start', 'readiness_start', 'readiness_end', 'task_end', 'final'])
    expect(last(events)).toMatchObject({ status: 'blocked', reason: 'Missing blocking knowledge: tenant.' })
    expect(backend.calls).toHaveLength(0)
  })

  it('continues on a caveat', async () => {
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'ok' }]] })
    const events = await collect(
      runAgentTaskStream({
        task,
        backend,
        minimumReadinessScore: 1,
        knowledge: {
          buildReadiness: () => ({
            taskId: 'greet',
            readinessScore: 0.5,
            blockingMissingRequirements: [],
            nonBlockingGaps: [],
            recommendedAction: 'continue_with_caveat',
            severity: 'warning',
            reason: 'partial',
          }),
        },
      }),
    )
    expect(events[2]).toMatchObject({ type: 'readiness_end', decision: { status: 'caveat', reason: 'Knowledge readiness score 0.500 is below minimum 1.000.' } })
    expect(last(events)).toMatchObject({ status: 'completed', text: 'ok' })
  })

  it('resumes a stored session of the same backend kind', async () => {
    const store = new InMemoryRuntimeSessionStore()
    await store.put({ id: 's1', backend: 'scripted', status: 'completed', createdAt: 'a', updatedAt: 'a', resumeToken: 'tok' })
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'again' }]] })
    const events = await collect(runAgentTaskStream({ task, backend, sessionStore: store, sessionId: 's1', resume: true, now }))
    const resumed = events.find((e) => e.type === 'session_resumed') as Extract<RuntimeStreamEvent, { type: 'session_resumed' }>
    expect(resumed.session).toMatchObject({ id: 's1', status: 'active', resumeToken: 'tok' })
    expect(types(events)).not.toContain('session_created')
  })

  it('creates a session with the requested id when resume finds nothing stored', async () => {
    const backend = createScriptedBackend({ turns: [[]] })
    const events = await collect(runAgentTaskStream({ task, backend, sessionId: 'wanted', resume: true }))
    expect(events.find((e) => e.type === 'session_created')).toMatchObject({ session: { id: 'wanted', backend: 'scripted', status: 'active' } })
  })

  it('throws SessionMismatchError when the stored session belongs to another backend', async () => {
    const store = new InMemoryRuntimeSessionStore()
    await store.put({ id: 's1', backend: 'sandbox', status: 'active', createdAt: 'a', updatedAt: 'a' })
    const backend = createScriptedBackend({ turns: [[]] })
    const err = await collect(runAgentTaskStream({ task, backend, sessionStore: store, sessionId: 's1', resume: true })).catch((e) => e)
    expect(err).toBeInstanceOf(SessionMismatchError)
    expect(err.code).toBe('validation')
    expect(err.message).toBe('Cannot resume sandbox session with scripted backend; resume it with a sandbox backend or start a new session.')
  })

  it('uses backend.start and backend.resume when the backend has them', async () => {
    const backend = createIterableBackend({
      kind: 'custom',
      async start(_input, ctx) {
        return { id: `started-${ctx.requestedSessionId}`, backend: 'custom', status: 'active' as const, createdAt: 'x', updatedAt: 'x' }
      },
      async *stream() {},
    })
    const events = await collect(runAgentTaskStream({ task, backend, sessionId: 'abc' }))
    expect(events.find((e) => e.type === 'session_created')).toMatchObject({ session: { id: 'started-abc' } })
  })

  it("folds a backend's own final into the one final: its metadata when completed, its failure when not", async () => {
    const ok = createIterableBackend({
      kind: 'nested',
      async *stream() {
        yield { type: 'final', status: 'completed', reason: 'done', text: 'from final', metadata: { turns: 2 } }
      },
    })
    const events = await collect(runAgentTaskStream({ task, backend: ok }))
    expect(events.filter((e) => e.type === 'final')).toEqual([expect.objectContaining({ status: 'completed', text: 'from final', metadata: { turns: 2 } })])
    const bad = createIterableBackend({
      kind: 'nested',
      async *stream() {
        yield { type: 'text_delta', text: 'half' }
        yield { type: 'final', status: 'failed', reason: 'participant "a" failed: boom', error: { kind: 'backend', message: 'participant "a" failed: boom' } }
        yield { type: 'text_delta', text: 'never read' }
      },
    })
    const failed = await collect(runAgentTaskStream({ task, backend: bad }))
    expect(types(failed).slice(-4)).toEqual(['text_delta', 'backend_error', 'task_end', 'final'])
    expect(failed.at(-1)).toMatchObject({ status: 'failed', reason: 'participant "a" failed: boom', text: 'half', error: { message: 'participant "a" failed: boom' } })
  })

  it('turns a thrown error into backend_error + final failed with the text so far, and stops the backend', async () => {
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'partial' }]], fail: { error: new Error('model crashed') } })
    const store = new InMemoryRuntimeSessionStore()
    const events = await collect(runAgentTaskStream({ task, backend, sessionStore: store, newId: () => 'sx' }))
    expect(types(events).slice(-4)).toEqual(['text_delta', 'backend_error', 'task_end', 'final'])
    expect(events.at(-3)).toMatchObject({
      type: 'backend_error',
      backend: 'scripted',
      message: 'model crashed',
      recoverable: true,
      error: { kind: 'backend', message: 'model crashed' },
    })
    expect(last(events)).toMatchObject({ status: 'failed', reason: 'model crashed', text: 'partial', error: { kind: 'backend', message: 'model crashed' } })
    expect(backend.stops).toEqual([{ sessionId: 'sx', reason: 'model crashed' }])
    expect((await store.get('sx'))?.status).toBe('failed')
  })

  it('fails (without a stop call) when backend.start throws', async () => {
    let stopped = false
    const backend = createIterableBackend({
      kind: 'custom',
      async start(): Promise<never> {
        throw new BackendTransportError('custom', 'session service down', { status: 503, body: 'try later' })
      },
      async *stream() {},
      async stop() {
        stopped = true
      },
    })
    const events = await collect(runAgentTaskStream({ task, backend }))
    expect(types(events)).toEqual(['task_start', 'readiness_start', 'readiness_end', 'backend_error', 'task_end', 'final'])
    expect(last(events)).toMatchObject({
      status: 'failed',
      reason: 'session service down',
      error: { kind: 'transport', message: 'session service down', status: 503, body: 'try later' },
    })
    expect(stopped).toBe(false)
  })

  it('stores copies: mutating a returned session does not change the store', async () => {
    const store = new InMemoryRuntimeSessionStore()
    await store.put({ id: 'c', backend: 'b', status: 'active', createdAt: 'x', updatedAt: 'x' })
    const got = await store.get('c')
    got!.status = 'failed'
    expect((await store.get('c'))?.status).toBe('active')
    expect(await store.listEvents('none')).toEqual([])
  })

  it('appends "; backend stop failed: …" when stop throws too', async () => {
    const backend = createScriptedBackend({
      turns: [[]],
      fail: { error: new Error('boom') },
      onStop: () => {
        throw new Error('already gone')
      },
    })
    const events = await collect(runAgentTaskStream({ task, backend }))
    expect(last(events)).toMatchObject({ status: 'failed', reason: 'boom; backend stop failed: already gone' })
  })

  it('reports aborted (not recoverable) when the signal aborts mid-stream', async () => {
    const ac = new AbortController()
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'a' }, { type: 'text_delta', text: 'b' }]], delayMs: 5 })
    const events: RuntimeStreamEvent[] = []
    for await (const e of runAgentTaskStream({ task, backend, signal: ac.signal })) {
      events.push(e)
      if (e.type === 'text_delta') ac.abort()
    }
    expect(events.find((e) => e.type === 'backend_error')).toMatchObject({ recoverable: false })
    expect(last(events)).toMatchObject({ type: 'final', status: 'aborted', text: 'a' })
  })

  it('fails the task when the backend yields a non-recoverable backend_error event', async () => {
    const backend = createScriptedBackend({
      turns: [[{ type: 'backend_error', backend: 'scripted', message: 'quota exhausted', recoverable: false }, { type: 'text_delta', text: 'never' }]],
    })
    const events = await collect(runAgentTaskStream({ task, backend }))
    expect(types(events)).not.toContain('text_delta')
    expect(last(events)).toMatchObject({ status: 'failed', reason: 'quota exhausted', error: { kind: 'backend', message: 'quota exhausted' } })
  })

  describe('over a real HTTP backend', () => {
    let server: Server
    let base: string
    beforeAll(async () => {
      server = createServer((_req, res) => {
        res.writeHead(503, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: 'overloaded', detail: 'x'.repeat(5000) }))
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    afterAll(() => new Promise<void>((r) => server.close(() => r())))

    it('maps BackendTransportError to an error detail of kind transport with status and a truncated body', async () => {
      const backend = createIterableBackend({
        kind: 'http',
        async *stream() {
          const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', body: '{}' })
          const body = await res.text()
          if (!res.ok) throw new BackendTransportError('http', `upstream ${res.status}`, { status: res.status, body })
          yield { type: 'text_delta' as const, text: body }
        },
      })
      const events = await collect(runAgentTaskStream({ task, backend }))
      const final = last(events) as Extract<RuntimeStreamEvent, { type: 'final' }>
      expect(final.status).toBe('failed')
      expect(final.error).toMatchObject({ kind: 'transport', message: 'upstream 503', status: 503 })
      expect(final.error?.body?.startsWith('{"error":"overloaded"')).toBe(true)
      expect(final.error?.body?.length).toBe(2049)
    })
  })
})
