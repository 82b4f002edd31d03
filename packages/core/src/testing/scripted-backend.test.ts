import { type AgentBackendContext, type BackendStreamEvent, ValidationError } from '@tangle-network/agent-runtime-core'
import { createScriptedBackend } from '@tangle-network/agent-runtime-core/testing'
import { describe, expect, it } from 'vitest'

const task = { id: 't', intent: 'test' }
const ctx = (signal?: AbortSignal): AgentBackendContext => ({
  task,
  session: { id: 's', backend: 'scripted', status: 'active', createdAt: 'x', updatedAt: 'x' },
  signal,
})

async function drain(it: AsyncIterable<BackendStreamEvent>): Promise<BackendStreamEvent[]> {
  const out: BackendStreamEvent[] = []
  for await (const e of it) out.push(e)
  return out
}

describe('createScriptedBackend', () => {
  it('plays one scripted turn per stream call and records the inputs', async () => {
    const b = createScriptedBackend({ kind: 'k', turns: [[{ type: 'text_delta', text: '1' }], [{ type: 'text_delta', text: '2' }]] })
    expect(b.kind).toBe('k')
    expect(await drain(b.stream({ task, message: 'a' }, ctx()))).toEqual([{ type: 'text_delta', text: '1' }])
    expect(await drain(b.stream({ task, message: 'b' }, ctx()))).toEqual([{ type: 'text_delta', text: '2' }])
    expect(b.calls.map((c) => c.message)).toEqual(['a', 'b'])
  })

  it('throws a ValidationError when the script runs out of turns', async () => {
    const b = createScriptedBackend({ turns: [[]] })
    await drain(b.stream({ task }, ctx()))
    const err = await drain(b.stream({ task }, ctx())).catch((e) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect(err.code).toBe('validation')
    expect(err.message).toBe("scripted backend 'scripted' has no turn 2: only 1 scripted; add more turns.")
  })

  it('computes events from a function of the input', async () => {
    const b = createScriptedBackend({ turns: (input, _ctx, i) => [{ type: 'text_delta', text: `${i}:${input.message}` }] })
    expect(await drain(b.stream({ task, message: 'x' }, ctx()))).toEqual([{ type: 'text_delta', text: '0:x' }])
    expect(await drain(b.stream({ task, message: 'y' }, ctx()))).toEqual([{ type: 'text_delta', text: '1:y' }])
  })

  it('throws the scripted error after the given number of events, on the given turn only', async () => {
    const boom = new Error('boom')
    const events: BackendStreamEvent[] = [
      { type: 'text_delta', text: 'a' },
      { type: 'text_delta', text: 'b' },
    ]
    const b = createScriptedBackend({ turns: [events, events], fail: { error: boom, afterEvents: 1, turn: 1 } })
    expect(await drain(b.stream({ task }, ctx()))).toHaveLength(2)
    const seen: BackendStreamEvent[] = []
    const err = await (async () => {
      for await (const e of b.stream({ task }, ctx())) seen.push(e)
    })().catch((e) => e)
    expect(err).toBe(boom)
    expect(seen).toEqual([{ type: 'text_delta', text: 'a' }])
  })

  it('rejects with an AbortError when the signal aborts during a delay', async () => {
    const ac = new AbortController()
    const b = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'a' }, { type: 'text_delta', text: 'b' }]], delayMs: 20 })
    const seen: string[] = []
    const err = await (async () => {
      for await (const e of b.stream({ task }, ctx(ac.signal))) {
        seen.push(e.type)
        ac.abort()
      }
    })().catch((e) => e)
    expect(err.name).toBe('AbortError')
    expect(seen).toEqual(['text_delta'])
  })

  it('records stop calls and runs onStop', async () => {
    let stopped = ''
    const b = createScriptedBackend({ turns: [[]], onStop: (_s, r) => {
        stopped = r
      },
    })
    await b.stop?.(ctx().session, 'done')
    expect(b.stops).toEqual([{ sessionId: 's', reason: 'done' }])
    expect(stopped).toBe('done')
  })

  it('rejects an empty script and a negative delay', () => {
    expect(() => createScriptedBackend({ turns: [] })).toThrow(
      new ValidationError('createScriptedBackend: `turns` is empty; give at least one turn (a list of events or a function).'),
    )
    try {
      createScriptedBackend({ turns: [[]], delayMs: -1 })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError)
      expect((e as ValidationError).code).toBe('validation')
      expect((e as Error).message).toBe('createScriptedBackend: delayMs must be >= 0; received -1.')
    }
  })
})
