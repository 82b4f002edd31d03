import {
  type ConversationStreamEvent,
  InMemoryConversationJournal,
  defineConversation,
  runConversation,
  runConversationStream,
} from '@tangle-network/agent-runtime-conversations'
import { describe, expect, it } from 'vitest'
import { echoBackend, recordingBackend, untilAborted } from './backends.js'

const two = (policy: Parameters<typeof defineConversation>[0]['policy'] = { maxTurns: 4 }) => {
  const alice = echoBackend('alice')
  const bob = echoBackend('bob')
  return { alice, bob, conv: defineConversation({ participants: [{ name: 'Alice', backend: alice }, { name: 'Bob', backend: bob }], policy }) }
}

async function collect(stream: AsyncIterable<ConversationStreamEvent>): Promise<ConversationStreamEvent[]> {
  const out: ConversationStreamEvent[] = []
  for await (const e of stream) out.push(e)
  return out
}

describe('runConversation', () => {
  it('alternates two speakers, chains each turn into the next input, and halts at maxTurns', async () => {
    const { alice, bob, conv } = two({ maxTurns: 4 })
    const result = await runConversation(conv, { seed: 'hello', runId: 'run_a' })
    expect(result.transcript.map((t) => [t.index, t.speaker, t.text, t.turnId, t.attempts])).toEqual([
      [0, 'Alice', 'alice:1', 'run_a.t0.alice', 1],
      [1, 'Bob', 'bob:1', 'run_a.t1.bob', 1],
      [2, 'Alice', 'alice:2', 'run_a.t2.alice', 1],
      [3, 'Bob', 'bob:2', 'run_a.t3.bob', 1],
    ])
    expect(result.halted).toEqual({ kind: 'max_turns', turns: 4 })
    expect(result.turns).toBe(4)
    expect(result.runId).toBe('run_a')
    expect(Date.parse(result.endedAt)).toBeGreaterThanOrEqual(Date.parse(result.startedAt))
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
    expect(alice.calls.map((c) => c.input.message)).toEqual(['hello', 'bob:1'])
    expect(bob.calls.map((c) => c.input.message)).toEqual(['alice:1', 'alice:2'])
    // The speaker sees its own turns as assistant messages.
    expect(alice.calls[1]!.input.messages).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'alice:1' },
      { role: 'user', content: 'bob:1' },
    ])
    expect(alice.calls[0]!.ctx).toMatchObject({ runId: 'run_a', turnId: 'run_a.t0.alice', session: { id: 'run_a.t0.alice', backend: 'alice', status: 'active' } })
    expect(alice.calls[0]!.ctx.task.intent).toBe('conversation.turn')
  })

  it('generates a conv_<uuid> run id when none is given', async () => {
    const { conv } = two({ maxTurns: 1 })
    const result = await runConversation(conv, { seed: 's' })
    expect(result.runId).toMatch(/^conv_[0-9a-f-]{36}$/)
  })

  it('emits events in order and hands each to onEvent', async () => {
    const { conv } = two({ maxTurns: 2 })
    const seen: ConversationStreamEvent[] = []
    const events = await collect(runConversationStream(conv, { seed: 'go', runId: 'r', onEvent: (e) => void seen.push(e) }))
    expect(events.map((e) => e.type)).toEqual([
      'conversation_start',
      'turn_start',
      'turn_text_delta',
      'turn_text_delta',
      'turn_end',
      'turn_start',
      'turn_text_delta',
      'turn_text_delta',
      'turn_end',
      'conversation_end',
    ])
    expect(seen).toEqual(events)
    expect(events[0]).toMatchObject({ type: 'conversation_start', runId: 'r', participants: ['Alice', 'Bob'], seed: 'go' })
    expect(events[1]).toMatchObject({ type: 'turn_start', index: 0, speaker: 'Alice', turnId: 'r.t0.alice', attempt: 1 })
    expect(events[2]).toMatchObject({ type: 'turn_text_delta', index: 0, text: 'alice:' })
  })

  it('round-robins three participants and attributes other speakers in the history', async () => {
    const backends = ['a', 'b', 'c'].map((n) => echoBackend(n))
    const conv = defineConversation({ participants: backends.map((backend, i) => ({ name: ['a', 'b', 'c'][i]!, backend })), policy: { maxTurns: 5 } })
    const result = await runConversation(conv, { seed: 'x' })
    expect(result.transcript.map((t) => t.speaker)).toEqual(['a', 'b', 'c', 'a', 'b'])
    expect(backends[2]!.calls[0]!.input.messages).toEqual([
      { role: 'user', content: 'x' },
      { role: 'user', content: '[a] a:1' },
      { role: 'user', content: '[b] b:1' },
    ])
  })

  it('lets a turnOrder function pick the speaker from the drive state', async () => {
    const a = echoBackend('a')
    const b = echoBackend('b')
    const states: number[] = []
    const conv = defineConversation({
      participants: [{ name: 'a', backend: a }, { name: 'b', backend: b }],
      policy: {
        maxTurns: 3,
        turnOrder: (s) => {
          states.push(s.turnIndex)
          return 1
        },
      },
    })
    const result = await runConversation(conv, { seed: 's' })
    expect(result.transcript.map((t) => t.speaker)).toEqual(['b', 'b', 'b'])
    expect(states).toEqual([0, 1, 2])
    expect(a.calls).toHaveLength(0)
  })

  it('throws ValidationError when turnOrder returns an index out of range', async () => {
    const conv = defineConversation({ participants: [{ name: 'a', backend: echoBackend('a') }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 3, turnOrder: () => 5 } })
    const err = await runConversation(conv, { seed: 's' }).catch((e) => e)
    expect(err.code).toBe('validation')
    expect(err.message).toBe('turnOrder returned 5 for turn 0; it must return a participant index from 0 to 1.')
  })

  it('sums usage per turn and halts between turns once the credit cap is reached', async () => {
    const a = echoBackend('a', 0.014)
    const b = echoBackend('b', 0.006)
    const conv = defineConversation({ participants: [{ name: 'a', backend: a }, { name: 'b', backend: b }], policy: { maxTurns: 10, maxCreditsCents: 3 } })
    const result = await runConversation(conv, { seed: 's' })
    // a: 1.4 → 1 cent, b: 0.6 → 1 cent; after 3 turns 3 cents ≥ cap: no 4th turn.
    expect(result.turns).toBe(3)
    expect(result.spentCreditsCents).toBe(3)
    expect(result.halted).toEqual({ kind: 'max_credits', spentCents: 3, capCents: 3 })
    expect(result.transcript[0]!.usage).toEqual({ tokensIn: 10, tokensOut: 4, costUsd: 0.014, latencyMs: 7, model: 'a-model' })
  })

  it('a credit cap of 0 halts before the first turn', async () => {
    const { conv, alice } = two({ maxTurns: 3, maxCreditsCents: 0 })
    const result = await runConversation(conv, { seed: 's' })
    expect(result.halted).toEqual({ kind: 'max_credits', spentCents: 0, capCents: 0 })
    expect(alice.calls).toHaveLength(0)
  })

  it('halts on haltOn: true gives predicate_true, a HaltSignal gives its reason', async () => {
    const { conv: c1 } = two({ maxTurns: 9, haltOn: (ctx) => ctx.lastTurn.index === 1 })
    expect((await runConversation(c1, { seed: 's' })).halted).toEqual({ kind: 'predicate', reason: 'predicate_true' })
    const contexts: number[] = []
    const { conv: c2 } = two({
      maxTurns: 9,
      haltOn: async (ctx) => {
        contexts.push(ctx.turnIndex)
        return ctx.lastTurn.text === 'bob:1' ? { halted: true, reason: 'bob spoke' } : false
      },
    })
    const r2 = await runConversation(c2, { seed: 's' })
    expect(r2.halted).toEqual({ kind: 'predicate', reason: 'bob spoke' })
    expect(r2.turns).toBe(2)
    expect(contexts).toEqual([1, 2])
  })

  it('uses final.text only when no delta arrived', async () => {
    const a = recordingBackend(function* () {
      yield { type: 'final', status: 'completed', reason: 'ok', text: 'from final' }
    })
    const b = recordingBackend(function* () {
      yield { type: 'text_delta', text: 'delta' }
      yield { type: 'final', status: 'completed', reason: 'ok', text: 'ignored' }
    })
    const conv = defineConversation({ participants: [{ name: 'a', backend: a }, { name: 'b', backend: b }], policy: { maxTurns: 2 } })
    expect((await runConversation(conv, { seed: 's' })).transcript.map((t) => t.text)).toEqual(['from final', 'delta'])
  })

  it('halts with participant_error on backend_error, a failed final, or no text', async () => {
    const cases = [
      { events: [{ type: 'backend_error', backend: 'x', message: 'model refused', recoverable: false }], message: 'Participant "b" backend "x" failed: model refused' },
      {
        events: [{ type: 'final', status: 'failed', reason: 'r', error: { kind: 'transport', message: 'chat backend returned 401', status: 401 } }],
        message: 'Participant "b" backend "test" ended with status failed: chat backend returned 401',
      },
      { events: [], message: 'Participant "b" (backend "test") finished turn 1 without any text; its backend must emit text_delta events or a final text.' },
    ] as const
    for (const c of cases) {
      const b = recordingBackend(() => c.events as never)
      const conv = defineConversation({ participants: [{ name: 'a', backend: echoBackend('a') }, { name: 'b', backend: b }], policy: { maxTurns: 4 } })
      const result = await runConversation(conv, { seed: 's' })
      expect(result.halted).toEqual({ kind: 'participant_error', participant: 'b', message: c.message })
      expect(result.turns).toBe(1)
    }
  })

  it('aborting mid-turn aborts the backend stream, halts with abort and commits no partial text', async () => {
    const controller = new AbortController()
    let backendSawAbort = false
    const b = recordingBackend(async function* ({ ctx }) {
      yield { type: 'text_delta', text: 'partial' }
      controller.abort()
      await untilAborted(ctx.signal)
      backendSawAbort = ctx.signal?.aborted === true
      yield { type: 'text_delta', text: ' more' }
    })
    const journal = new InMemoryConversationJournal()
    const conv = defineConversation({ participants: [{ name: 'a', backend: echoBackend('a') }, { name: 'b', backend: b }], policy: { maxTurns: 4 } })
    const result = await runConversation(conv, { seed: 's', runId: 'ab', signal: controller.signal, journal })
    expect(backendSawAbort).toBe(true)
    expect(result.halted).toEqual({ kind: 'abort' })
    expect(result.transcript.map((t) => t.text)).toEqual(['a:1'])
    expect((await journal.loadRun('ab'))?.turns.map((t) => t.text)).toEqual(['a:1'])
    expect((await journal.loadRun('ab'))?.halted).toEqual({ kind: 'abort' })
  })

  it('an already-aborted signal halts before any turn', async () => {
    const { conv, alice } = two()
    const result = await runConversation(conv, { seed: 's', signal: AbortSignal.abort() })
    expect(result.halted).toEqual({ kind: 'abort' })
    expect(alice.calls).toHaveLength(0)
  })

  it('validates run options', async () => {
    const { conv } = two()
    const bad = [
      [{ seed: 1 }, 'runConversation: options.seed must be a string (the first message).'],
      [{ seed: 's', runId: '' }, 'runConversation: options.runId must be a non-empty string, got "".'],
      [{ seed: 's', inboundDepth: -1 }, 'runConversation: options.inboundDepth must be a non-negative integer, got -1.'],
    ] as const
    for (const [options, message] of bad) {
      const err = await runConversation(conv, options as never).catch((e) => e)
      expect(err.code).toBe('validation')
      expect(err.message).toBe(message)
    }
  })
})

describe('runConversation with a journal', () => {
  it('journals every turn before its turn_end and records the halt', async () => {
    const journal = new InMemoryConversationJournal()
    const { conv } = two({ maxTurns: 3 })
    const journaledAtTurnEnd: number[] = []
    await runConversation(conv, {
      seed: 's',
      runId: 'j1',
      journal,
      onEvent: async (e) => {
        if (e.type === 'turn_end') journaledAtTurnEnd.push((await journal.loadRun('j1'))!.turns.length)
      },
    })
    expect(journaledAtTurnEnd).toEqual([1, 2, 3])
    expect((await journal.loadRun('j1'))?.halted).toEqual({ kind: 'max_turns', turns: 3 })
  })

  it('resumes an interrupted run from the next turn, feeding it the last committed text', async () => {
    const journal = new InMemoryConversationJournal()
    const first = two({ maxTurns: 5 })
    // The consumer stops after two turns: the run is left unhalted, like a crash.
    let ends = 0
    for await (const e of runConversationStream(first.conv, { seed: 'seed', runId: 'res', journal })) {
      if (e.type === 'turn_end' && ++ends === 2) break
    }
    const before = await journal.loadRun('res')
    expect(before?.turns).toHaveLength(2)
    expect(before?.halted).toBeUndefined()

    const second = two({ maxTurns: 5 })
    const events = await collect(runConversationStream(second.conv, { seed: 'seed', runId: 'res', journal }))
    expect(events[0]).toMatchObject({ type: 'conversation_resumed', runId: 'res', participants: ['Alice', 'Bob'] })
    expect((events[0] as Extract<ConversationStreamEvent, { type: 'conversation_resumed' }>).transcript).toHaveLength(2)
    const result = (events.at(-1) as Extract<ConversationStreamEvent, { type: 'conversation_end' }>).result
    expect(result.transcript.map((t) => t.index)).toEqual([0, 1, 2, 3, 4])
    expect(result.startedAt).toBe(before?.startedAt)
    expect(second.alice.calls[0]!.input.message).toBe('bob:1')
    expect(second.alice.calls[0]!.ctx.turnId).toBe('res.t2.alice')
    expect(result.halted).toEqual({ kind: 'max_turns', turns: 5 })
  })

  it('replays a halted run without calling any backend', async () => {
    const journal = new InMemoryConversationJournal()
    const first = two({ maxTurns: 2 })
    const original = await runConversation(first.conv, { seed: 's', runId: 'done', journal })
    const second = two({ maxTurns: 2 })
    const events = await collect(runConversationStream(second.conv, { seed: 's', runId: 'done', journal }))
    expect(events.map((e) => e.type)).toEqual(['conversation_resumed', 'conversation_end'])
    const replayed = (events[1] as Extract<ConversationStreamEvent, { type: 'conversation_end' }>).result
    expect(replayed.transcript).toEqual(original.transcript)
    expect(replayed.halted).toEqual(original.halted)
    expect(replayed.endedAt).toBe(original.endedAt)
    expect(second.alice.calls).toHaveLength(0)
  })

  it('restores credits spent before a resume, so the cap still holds', async () => {
    const journal = new InMemoryConversationJournal()
    const mk = () => defineConversation({ participants: [{ name: 'a', backend: echoBackend('a', 0.02) }, { name: 'b', backend: echoBackend('b', 0.02) }], policy: { maxTurns: 10, maxCreditsCents: 5 } })
    let ends = 0
    for await (const e of runConversationStream(mk(), { seed: 's', runId: 'cap', journal })) if (e.type === 'turn_end' && ++ends === 2) break
    const result = await runConversation(mk(), { seed: 's', runId: 'cap', journal })
    expect(result.turns).toBe(3)
    expect(result.halted).toEqual({ kind: 'max_credits', spentCents: 6, capCents: 5 })
  })
})

describe('runConversation clock', () => {
  it('stamps turns, events and the result from an injected clock', async () => {
    const { conv } = two({ maxTurns: 2 })
    let now = Date.parse('2030-01-01T00:00:00.000Z')
    const clock = () => (now += 250) // every reading advances 250 ms
    const events = await collect(runConversationStream(conv, { seed: 'hi', runId: 'clocked', clock }))
    const end = events.at(-1)
    expect(end?.type).toBe('conversation_end')
    const result = (end as Extract<ConversationStreamEvent, { type: 'conversation_end' }>).result
    expect(result.startedAt.startsWith('2030-01-01T00:00:00')).toBe(true)
    expect(result.endedAt.startsWith('2030-01-01T00:00:0')).toBe(true)
    expect(result.durationMs).toBeGreaterThan(0)
    expect(result.durationMs % 250).toBe(0)
    for (const e of events) expect(e.timestamp?.startsWith('2030-01-01')).toBe(true)
  })
})
