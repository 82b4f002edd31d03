import { type ChatStreamEvent, type ChatTurnHooks, handleChatTurn } from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'
import { gate, readAll, readLines, scriptedProduce, settleTicks } from '../../test/support/chat.js'

const identity = { tenantId: 'acme', sessionId: 'thread-1', userId: 'u1', turnIndex: 2 }
const started = { type: 'session.run.started', data: { sessionId: 'thread-1', tenantId: 'acme', turnIndex: 2, executionId: 'acme:thread-1:2' } }
const completed = { type: 'session.run.completed', data: { sessionId: 'thread-1', executionId: 'acme:thread-1:2' } }
const failed = (reason: string, message: string | RegExp) => ({
  type: 'session.run.failed',
  data: { sessionId: 'thread-1', executionId: 'acme:thread-1:2', reason, message: typeof message === 'string' ? message : expect.stringMatching(message) },
})
const delta = (text: string) => ({ type: 'text_delta', data: { text } })

function recordingHooks(overrides: Partial<ChatTurnHooks> = {}, tokens = ['Hel', 'lo']) {
  const calls: string[] = []
  const logs: Array<{ message: string; meta?: Record<string, unknown> }> = []
  const { produce, probe } = scriptedProduce(tokens)
  const hooks: ChatTurnHooks = {
    produce: (ctx) => {
      calls.push('produce')
      return produce(ctx)
    },
    transformFinalText: async (text) => {
      calls.push(`transform:${text}`)
      return text.toUpperCase()
    },
    persistAssistantMessage: async ({ finalText, executionId }) => {
      calls.push(`persist:${finalText}:${executionId}`)
    },
    onTurnComplete: async ({ finalText }) => {
      calls.push(`complete:${finalText}`)
    },
    onEvent: (event) => {
      calls.push(`event:${event.type}`)
    },
    traceFlush: async () => {
      calls.push('traceFlush')
    },
    ...overrides,
  }
  const log = (message: string, meta?: Record<string, unknown>) => logs.push({ message, meta })
  return { hooks, calls, logs, probe, log }
}

describe('handleChatTurn envelope and hook order', () => {
  it('frames the producer with started/completed and runs finalText → transform → persist → onTurnComplete → completed → traceFlush', async () => {
    const { hooks, calls, probe, log } = recordingHooks()
    const turn = handleChatTurn({ identity, hooks, log })
    expect(turn.contentType).toBe('application/x-ndjson')
    expect(turn.executionId).toBe('acme:thread-1:2')
    expect(calls).toEqual([]) // nothing runs until the client reads
    const events = await readAll(turn.body)
    expect(events).toEqual([started, delta('Hel'), delta('lo'), completed])
    expect(calls).toEqual([
      'event:session.run.started',
      'produce',
      'event:text_delta',
      'event:text_delta',
      'transform:Hello',
      'persist:HELLO:acme:thread-1:2',
      'complete:HELLO',
      'event:session.run.completed',
      'traceFlush',
    ])
    expect(probe.finalTextReads).toBe(1)
    expect(await turn.done).toEqual({ status: 'completed', executionId: 'acme:thread-1:2', finalText: 'HELLO' })
  })

  it('changes only the persisted text with transformFinalText; the live stream stays verbatim', async () => {
    const persisted: string[] = []
    const { produce } = scriptedProduce(['my ssn is 123'])
    const turn = handleChatTurn({
      identity,
      hooks: { produce, transformFinalText: (t) => t.replace(/\d/g, '#'), persistAssistantMessage: async ({ finalText }) => void persisted.push(finalText) },
    })
    expect(await readAll(turn.body)).toEqual([started, delta('my ssn is 123'), completed])
    expect(persisted).toEqual(['my ssn is ###'])
  })

  it('forwards producer events verbatim, whatever their shape', async () => {
    const odd: ChatStreamEvent[] = [
      { type: 'tool_call', data: { toolName: 'search', args: { q: 'a\nb "c"' } } },
      { type: 'custom', extra: [1, 2, { deep: true }] } as ChatStreamEvent,
      { type: 'unicode', data: '😀 ✓ \u2028' },
    ]
    const turn = handleChatTurn({
      identity,
      hooks: {
        produce: () => ({ stream: (async function* () { yield* odd })(), finalText: () => '' }),
        persistAssistantMessage: async () => {},
      },
    })
    expect(await readAll(turn.body)).toEqual([started, ...odd, completed])
  })

  it('gives onEvent exactly the lines the client receives and swallows its errors', async () => {
    const seen: ChatStreamEvent[] = []
    const { hooks, logs, log } = recordingHooks({
      onEvent: (event) => {
        seen.push(event)
        if (event.type === 'text_delta') throw new Error('broadcast down')
      },
    })
    const events = await readAll(handleChatTurn({ identity, hooks, log }).body)
    expect(seen).toEqual(events)
    expect(logs.filter((l) => l.message.includes('onEvent threw'))).toHaveLength(2)
    expect(logs[0]!.meta).toMatchObject({ executionId: 'acme:thread-1:2', type: 'text_delta', error: 'broadcast down' })
  })

  it('logs and swallows an onTurnComplete failure; the turn still completes', async () => {
    const { hooks, logs, log } = recordingHooks({ onTurnComplete: async () => Promise.reject(new Error('metering down')) })
    const turn = handleChatTurn({ identity, hooks, log })
    expect((await readAll(turn.body)).at(-1)).toEqual(completed)
    expect(logs).toEqual([{ message: 'handleChatTurn: onTurnComplete threw; the turn still completes', meta: { executionId: 'acme:thread-1:2', error: 'metering down' } }])
    expect((await turn.done).status).toBe('completed')
  })
})

describe('handleChatTurn failures', () => {
  it('reports a produce() throw as error + session.run.failed{reason:producer} and persists nothing', async () => {
    const { hooks, calls } = recordingHooks({
      produce: () => {
        throw new Error('sandbox unreachable')
      },
    })
    const turn = handleChatTurn({ identity, hooks })
    expect(await readAll(turn.body)).toEqual([started, { type: 'error', data: { message: 'sandbox unreachable' } }, failed('producer', 'sandbox unreachable')])
    expect(calls.some((c) => c.startsWith('persist') || c.startsWith('complete'))).toBe(false)
    expect(calls.at(-1)).toBe('traceFlush')
    expect(await turn.done).toEqual({ status: 'failed', executionId: 'acme:thread-1:2', reason: 'producer', message: 'sandbox unreachable' })
  })

  it('keeps the events streamed before a mid-stream producer failure, then fails the turn', async () => {
    const { produce } = scriptedProduce(['a', 'b', 'c'], { throwAfter: 2 })
    let persisted = 0
    const turn = handleChatTurn({ identity, hooks: { produce, persistAssistantMessage: async () => void persisted++ } })
    expect(await readAll(turn.body)).toEqual([
      started,
      delta('a'),
      delta('b'),
      { type: 'error', data: { message: 'model stream broke after 2 tokens' } },
      failed('producer', 'model stream broke after 2 tokens'),
    ])
    expect(persisted).toBe(0)
  })

  it('fails the turn when finalText() throws', async () => {
    const { produce } = scriptedProduce(['a'], { failFinalText: true })
    const events = await readAll(handleChatTurn({ identity, hooks: { produce, persistAssistantMessage: async () => {} } }).body)
    expect(events.slice(-2)).toEqual([{ type: 'error', data: { message: 'finalText unavailable' } }, failed('producer', 'finalText unavailable')])
  })

  it('fails the turn (reason persist) when persistAssistantMessage throws, and skips onTurnComplete', async () => {
    const { hooks, calls } = recordingHooks({ persistAssistantMessage: async () => Promise.reject(new Error('db is read-only')) })
    const turn = handleChatTurn({ identity, hooks })
    const events = await readAll(turn.body)
    expect(events.slice(-2)).toEqual([{ type: 'error', data: { message: 'db is read-only' } }, failed('persist', 'db is read-only')])
    expect(calls.some((c) => c.startsWith('complete'))).toBe(false)
    expect((await turn.done).status).toBe('failed')
  })

  it('fails the turn (reason persist) when transformFinalText throws', async () => {
    const { hooks } = recordingHooks({
      transformFinalText: () => {
        throw new Error('redactor crashed')
      },
    })
    expect((await readAll(handleChatTurn({ identity, hooks }).body)).at(-1)).toEqual(failed('persist', 'redactor crashed'))
  })

  it('fails the turn with a ValidationError message for an event without a string type', async () => {
    const turn = handleChatTurn({
      identity,
      hooks: {
        produce: () => ({ stream: (async function* () { yield { kind: 'oops' } as unknown as ChatStreamEvent })(), finalText: () => '' }),
        persistAssistantMessage: async () => {},
      },
    })
    expect((await readAll(turn.body)).at(-1)).toEqual(
      failed('producer', 'handleChatTurn: the producer yielded {"kind":"oops"}; every event must be an object with a string "type".'),
    )
  })

  it('fails the turn for an event JSON cannot encode', async () => {
    const turn = handleChatTurn({
      identity,
      hooks: {
        produce: () => ({ stream: (async function* () { yield { type: 'usage', data: { tokens: 5n } } })(), finalText: () => '' }),
        persistAssistantMessage: async () => {},
      },
    })
    expect((await readAll(turn.body)).at(-1)).toEqual(failed('producer', /event of type "usage" is not JSON-serialisable \(Do not know how to serialize a BigInt\)/))
  })

  it('fails the turn when produce() returns something that is not a producer', async () => {
    const turn = handleChatTurn({ identity, hooks: { produce: () => ({ stream: 'nope' }) as never, persistAssistantMessage: async () => {} } })
    expect((await readAll(turn.body)).at(-1)).toEqual(
      failed('producer', 'handleChatTurn: produce() must return {stream: AsyncIterable<ChatStreamEvent>, finalText(): string}.'),
    )
  })

  it('throws a ValidationError at once for misconfiguration', () => {
    const persistAssistantMessage = async () => {}
    const produce = scriptedProduce([]).produce
    const cases: Array<[unknown, string]> = [
      [{ identity: { ...identity, turnIndex: -1 }, hooks: { produce, persistAssistantMessage } }, 'handleChatTurn: turnIndex must be a non-negative integer, got -1.'],
      [{ identity: { ...identity, tenantId: '' }, hooks: { produce, persistAssistantMessage } }, 'handleChatTurn: identity.tenantId must be a non-empty string, got "".'],
      [{ identity, hooks: { produce } }, 'handleChatTurn: hooks.persistAssistantMessage must be a function, got undefined.'],
      [{ identity, hooks: { produce, persistAssistantMessage, onEvent: 'x' } }, 'handleChatTurn: hooks.onEvent must be a function when given, got string.'],
      [{ identity, hooks: { produce, persistAssistantMessage }, replay: {} }, 'handleChatTurn: replay must be a ChatTurnReplayStore (missing begin()); use createMemoryChatTurnReplayStore or createSqlChatTurnReplayStore.'],
      [{ identity: { ...identity, executionId: '' }, hooks: { produce, persistAssistantMessage } }, 'chatTurnExecutionId: identity.executionId must be a non-empty string, got "".'],
    ]
    for (const [input, message] of cases) {
      expect(() => handleChatTurn(input as never)).toThrowError(expect.objectContaining({ name: 'ValidationError', code: 'validation', message }))
    }
  })
})

describe('handleChatTurn trace flush', () => {
  it('hands traceFlush to waitUntil when given, and logs its failure', async () => {
    const handed: Array<Promise<unknown>> = []
    const logs: string[] = []
    const turn = handleChatTurn({
      identity,
      hooks: { produce: scriptedProduce(['x']).produce, persistAssistantMessage: async () => {}, traceFlush: async () => Promise.reject(new Error('otlp 503')) },
      waitUntil: (p) => void handed.push(p),
      log: (m, meta) => logs.push(`${m} ${meta?.error}`),
    })
    await readAll(turn.body)
    expect(handed).toHaveLength(1)
    await handed[0]
    expect(logs).toEqual(['handleChatTurn: traceFlush failed otlp 503'])
  })

  it('awaits traceFlush before the stream closes when there is no waitUntil', async () => {
    const flush = gate()
    let flushed = false
    const turn = handleChatTurn({
      identity,
      hooks: {
        produce: scriptedProduce(['x']).produce,
        persistAssistantMessage: async () => {},
        traceFlush: async () => {
          await flush.wait(new AbortController().signal)
          flushed = true
        },
      },
    })
    const reader = turn.body.getReader()
    expect(await readLines(reader, 3)).toEqual([started, delta('x'), completed])
    const closed = reader.read()
    await settleTicks()
    expect(flushed).toBe(false)
    flush.release()
    expect(await closed).toEqual({ done: true, value: undefined })
    expect(flushed).toBe(true)
  })
})

describe('handleChatTurn back-pressure and cancellation', () => {
  it('pulls the producer only as fast as the client reads', async () => {
    const { produce, probe } = scriptedProduce(Array.from({ length: 50 }, (_, i) => `t${i}`))
    const turn = handleChatTurn({ identity, hooks: { produce, persistAssistantMessage: async () => {} } })
    const reader = turn.body.getReader()
    await settleTicks()
    expect(probe.produceCalls).toBe(0)
    const carry = { text: '' }
    await readLines(reader, 1, carry)
    await readLines(reader, 3, carry)
    await settleTicks()
    expect(probe.produced).toBe(3)
    await readLines(reader, 10, carry)
    await settleTicks()
    expect(probe.produced).toBe(13)
    await reader.cancel()
  })

  it('aborts the producer when the client cancels, runs its finally, and persists nothing', async () => {
    const { hooks, calls, probe } = recordingHooks({}, ['a', 'b', 'c', 'd'])
    const turn = handleChatTurn({ identity, hooks })
    const reader = turn.body.getReader()
    expect(await readLines(reader, 3)).toEqual([started, delta('a'), delta('b')])
    await reader.cancel('user closed the tab')
    expect(await turn.done).toEqual({ status: 'cancelled', executionId: 'acme:thread-1:2' })
    expect(probe.signals[0]!.aborted).toBe(true)
    expect(probe.finished).toBe(true)
    expect(probe.produced).toBe(2)
    expect(calls.filter((c) => c.startsWith('persist') || c.startsWith('complete') || c.startsWith('transform'))).toEqual([])
    expect(calls.at(-1)).toBe('traceFlush')
  })

  it('aborts a producer blocked on I/O when the client cancels', async () => {
    const blocked = gate()
    const { produce, probe } = scriptedProduce(['a', 'b'], { waitBeforeEach: async (signal) => (probe.produced === 1 ? blocked.wait(signal) : undefined) })
    let persisted = 0
    const turn = handleChatTurn({ identity, hooks: { produce, persistAssistantMessage: async () => void persisted++ } })
    const reader = turn.body.getReader()
    await readLines(reader, 2)
    const pending = reader.read() // the turn now waits on the blocked producer
    await settleTicks()
    await reader.cancel()
    expect(await pending).toEqual({ done: true, value: undefined })
    expect(await turn.done).toEqual({ status: 'cancelled', executionId: 'acme:thread-1:2' })
    expect(probe.finished).toBe(true)
    expect(persisted).toBe(0)
  })

  it('ends with session.run.failed{reason:aborted} when input.signal aborts mid-stream', async () => {
    const controller = new AbortController()
    const blocked = gate()
    const { produce, probe } = scriptedProduce(['a', 'b'], { waitBeforeEach: async (signal) => (probe.produced === 1 ? blocked.wait(signal) : undefined) })
    let persisted = 0
    const turn = handleChatTurn({ identity, hooks: { produce, persistAssistantMessage: async () => void persisted++ }, signal: controller.signal })
    const reader = turn.body.getReader()
    const carry = { text: '' }
    await readLines(reader, 2, carry)
    controller.abort()
    const message = 'the chat turn was aborted before it finished; nothing was persisted.'
    expect(await readLines(reader, 2, carry)).toEqual([{ type: 'error', data: { message } }, failed('aborted', message)])
    expect(await reader.read()).toEqual({ done: true, value: undefined })
    expect(probe.signals[0]!.aborted).toBe(true)
    expect(persisted).toBe(0)
  })

  it('settles done as cancelled when the client cancels before reading anything, without calling produce', async () => {
    const { hooks, calls, probe } = recordingHooks()
    const turn = handleChatTurn({ identity, hooks })
    await turn.body.cancel('client went away before the first byte')
    expect(await turn.done).toEqual({ status: 'cancelled', executionId: 'acme:thread-1:2' })
    expect(probe.produceCalls).toBe(0)
    expect(calls).toEqual([])
  })

  it('does not call produce when input.signal is already aborted', async () => {
    const controller = new AbortController()
    controller.abort()
    const { produce, probe } = scriptedProduce(['a'])
    const events = await readAll(handleChatTurn({ identity, hooks: { produce, persistAssistantMessage: async () => {} }, signal: controller.signal }).body)
    expect(events.map((e) => e.type)).toEqual(['session.run.started', 'error', 'session.run.failed'])
    expect(probe.produceCalls).toBe(0)
  })
})
