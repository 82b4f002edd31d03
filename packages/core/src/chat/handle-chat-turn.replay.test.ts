import {
  betterSqlite3ToSqlAdapter,
  type ChatStreamEvent,
  type ChatTurnHooks,
  type ChatTurnReplayStore,
  createMemoryChatTurnReplayStore,
  createSqlChatTurnReplayStore,
  handleChatTurn,
  pgToSqlAdapter,
} from '@tangle-network/agent-runtime-core'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { gate, readAll, readLines, scriptedProduce } from '../../test/support/chat.js'
import { connectPgClient, uniqueTablePrefix } from '../../../../test/support/pg.js'

const identity = { tenantId: 'acme', sessionId: 'thread-1', userId: 'u1', turnIndex: 2 }
const executionId = 'acme:thread-1:2'
const started = { type: 'session.run.started', data: { sessionId: 'thread-1', tenantId: 'acme', turnIndex: 2, executionId } }
const completed = { type: 'session.run.completed', data: { sessionId: 'thread-1', executionId } }
const replayedDone = { type: 'session.run.completed', data: { sessionId: 'thread-1', executionId, replayed: true } }
const TOKENS = Array.from({ length: 150 }, (_, i) => `w${i} `) // crosses the 64-event append batch twice
const deltas = (tokens: string[]) => tokens.map((text) => ({ type: 'text_delta', data: { text } }))

type StoreFactory = (options: { clock: () => number; inFlightTimeoutMs: number }) => Promise<ChatTurnReplayStore>
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

const factories: Array<[string, StoreFactory]> = [
  ['memory', async (o) => createMemoryChatTurnReplayStore(o)],
  [
    'SQLite',
    async (o) => {
      const db = new Database(':memory:')
      cleanups.push(async () => void db.close())
      return createSqlChatTurnReplayStore({ sql: betterSqlite3ToSqlAdapter(db), ...o })
    },
  ],
  [
    'PostgreSQL',
    async (o) => {
      const client = await connectPgClient()
      const tablePrefix = `${uniqueTablePrefix('chat_turn')}_`
      cleanups.push(async () => {
        await client.query(`DROP TABLE IF EXISTS ${tablePrefix}chat_execution_events`)
        await client.query(`DROP TABLE IF EXISTS ${tablePrefix}chat_executions`)
        await client.end()
      })
      return createSqlChatTurnReplayStore({ sql: pgToSqlAdapter(client), tablePrefix, ...o })
    },
  ],
]

/** A product whose producer, persist and onTurnComplete are counted across requests. */
function product(options: { failProduceOnce?: boolean; failPersistOnce?: boolean; tokens?: string[]; block?: ReturnType<typeof gate> } = {}) {
  const tokens = options.tokens ?? TOKENS
  const stats = { produce: 0, persistAttempts: 0, persisted: [] as string[], onTurnComplete: 0 }
  const hooks = (): ChatTurnHooks => {
    const attempt = stats.produce
    const { produce, probe } = scriptedProduce(tokens, {
      throwAfter: options.failProduceOnce && attempt === 0 ? 5 : undefined,
      // With `block`, the producer stalls before its second event until released.
      waitBeforeEach: async (signal) => (options.block && probe.produced === 1 ? options.block.wait(signal) : undefined),
    })
    return {
      produce: (ctx) => {
        stats.produce++
        return produce(ctx)
      },
      persistAssistantMessage: async ({ finalText }) => {
        stats.persistAttempts++
        if (options.failPersistOnce && stats.persistAttempts === 1) throw new Error('db briefly down')
        stats.persisted.push(finalText)
      },
      onTurnComplete: async () => {
        stats.onTurnComplete++
      },
    }
  }
  return { stats, hooks }
}

describe.each(factories)('handleChatTurn replay over the %s store', (_name, makeStore) => {
  let now = 1_700_000_000_000
  const clock = () => now
  const open = () => makeStore({ clock, inFlightTimeoutMs: 30_000 })

  it('answers a retry of a completed execution from stored events without calling produce', async () => {
    const replay = await open()
    const { stats, hooks } = product()
    const first = handleChatTurn({ identity, hooks: hooks(), replay })
    expect(await readAll(first.body)).toEqual([started, ...deltas(TOKENS), completed])
    const seen: ChatStreamEvent[] = []
    const retry = handleChatTurn({ identity, hooks: { ...hooks(), onEvent: (e) => void seen.push(e) }, replay })
    const events = await readAll(retry.body)
    expect(events).toEqual([started, ...deltas(TOKENS), replayedDone])
    expect(seen).toEqual(events)
    expect(stats).toEqual({ produce: 1, persistAttempts: 1, persisted: [TOKENS.join('')], onTurnComplete: 1 })
    expect(await retry.done).toEqual({ status: 'replayed', executionId, events: TOKENS.length })
  })

  it('lets exactly one of two concurrent requests run; the other is refused as in_flight', async () => {
    const replay = await open()
    const { stats, hooks } = product({ tokens: ['a', 'b', 'c'] })
    const results = await Promise.all([readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body), readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)])
    const refused = results.find((r) => r.at(-1)?.type === 'session.run.failed')!
    const ran = results.find((r) => r !== refused)!
    expect(ran.at(-1)).toEqual(completed)
    expect(refused).toEqual([
      started,
      {
        type: 'session.run.failed',
        data: { sessionId: 'thread-1', executionId, reason: 'in_flight', message: `execution "${executionId}" is still running in another request; retry after it finishes.` },
      },
    ])
    expect(stats.produce).toBe(1)
    expect(stats.persisted).toEqual(['abc'])
  })

  it('keeps a slow but live stream leased: a retry long after the lease length is still in_flight', async () => {
    const replay = await open()
    const { stats, hooks } = product({ tokens: ['a', 'b', 'c', 'd'] })
    const first = handleChatTurn({ identity, hooks: hooks(), replay })
    const reader = first.body.getReader()
    const carry = { text: '' }
    await readLines(reader, 1, carry) // session.run.started; the lease runs 30 s from here
    for (let i = 0; i < 3; i++) {
      now += 12_000 // fewer than 64 events, but 12 s apart: only time-based renewal keeps the lease
      await readLines(reader, 1, carry)
    }
    now += 12_000 // 48 s after begin, well past one lease length
    const retry = await readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)
    expect(retry.at(-1)).toMatchObject({ type: 'session.run.failed', data: { reason: 'in_flight' } })
    expect(await readLines(reader, 2, carry)).toEqual([{ type: 'text_delta', data: { text: 'd' } }, completed])
    await first.done
    expect(stats.produce).toBe(1)
    expect(stats.persisted).toEqual(['abcd'])
  })

  it('refuses a retry while the first attempt is still streaming, then replays once it finished', async () => {
    const replay = await open()
    const { stats, hooks } = product({ tokens: ['a', 'b'] })
    const first = handleChatTurn({ identity, hooks: hooks(), replay })
    const reader = first.body.getReader()
    const carry = { text: '' }
    await readLines(reader, 2, carry)
    const during = await readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)
    expect(during.at(-1)).toMatchObject({ type: 'session.run.failed', data: { reason: 'in_flight' } })
    expect(await readLines(reader, 2, carry)).toEqual([{ type: 'text_delta', data: { text: 'b' } }, completed])
    await first.done
    expect(await readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)).toEqual([started, ...deltas(['a', 'b']), replayedDone])
    expect(stats.produce).toBe(1)
    expect(stats.persisted).toEqual(['ab'])
  })

  it('runs the producer again after a failed attempt and persists once', async () => {
    const replay = await open()
    const { stats, hooks } = product({ failProduceOnce: true })
    const first = await readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)
    expect(first.at(-1)).toMatchObject({ type: 'session.run.failed', data: { reason: 'producer' } })
    expect(await readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)).toEqual([started, ...deltas(TOKENS), completed])
    expect(await readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)).toEqual([started, ...deltas(TOKENS), replayedDone])
    expect(stats.produce).toBe(2)
    expect(stats.persisted).toEqual([TOKENS.join('')])
  })

  it('retries only the persist after a persist failure: no second producer run', async () => {
    const replay = await open()
    const { stats, hooks } = product({ failPersistOnce: true, tokens: ['x', 'y'] })
    const first = await readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)
    expect(first.at(-1)).toMatchObject({ type: 'session.run.failed', data: { reason: 'persist', message: 'db briefly down' } })
    const retry = handleChatTurn({ identity, hooks: hooks(), replay })
    expect(await readAll(retry.body)).toEqual([started, ...deltas(['x', 'y']), replayedDone])
    expect(await retry.done).toEqual({ status: 'replayed', executionId, events: 2 })
    expect(await readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)).toEqual([started, ...deltas(['x', 'y']), replayedDone])
    expect(stats).toEqual({ produce: 1, persistAttempts: 2, persisted: ['xy'], onTurnComplete: 1 })
  })

  it('runs a cancelled turn again on retry', async () => {
    const replay = await open()
    const { stats, hooks } = product({ tokens: ['a', 'b', 'c'] })
    const first = handleChatTurn({ identity, hooks: hooks(), replay })
    const reader = first.body.getReader()
    await readLines(reader, 2)
    await reader.cancel()
    expect((await first.done).status).toBe('cancelled')
    expect(await readAll(handleChatTurn({ identity, hooks: hooks(), replay }).body)).toEqual([started, ...deltas(['a', 'b', 'c']), completed])
    expect(stats.produce).toBe(2)
    expect(stats.persisted).toEqual(['abc'])
  })

  it('lets a retry take over an attempt that stalled past inFlightTimeoutMs; the stale attempt stops without persisting', async () => {
    const replay = await open()
    const block = gate()
    const stale = product({ tokens: ['s1', 's2'], block })
    const first = handleChatTurn({ identity, hooks: stale.hooks(), replay })
    const reader = first.body.getReader()
    const carry = { text: '' }
    expect(await readLines(reader, 2, carry)).toEqual([started, ...deltas(['s1'])])
    const stuck = readLines(reader, 3, carry) // the producer stalls before s2
    await block.reached // the attempt has reached its stall before time moves on
    now += 30_000
    const fresh = product({ tokens: ['f'] })
    expect(await readAll(handleChatTurn({ identity, hooks: fresh.hooks(), replay }).body)).toEqual([started, ...deltas(['f']), completed])
    block.release()
    const message = `execution "${executionId}" was taken over by another attempt after its lease expired; this attempt stopped.`
    expect(await stuck).toEqual([
      ...deltas(['s2']),
      { type: 'error', data: { message } },
      { type: 'session.run.failed', data: { sessionId: 'thread-1', executionId, reason: 'lease_lost', message } },
    ])
    expect(await first.done).toMatchObject({ status: 'failed', reason: 'lease_lost' })
    expect(stale.stats.persisted).toEqual([])
    expect(fresh.stats.persisted).toEqual(['f'])
    expect(await readAll(handleChatTurn({ identity, hooks: stale.hooks(), replay }).body)).toEqual([started, ...deltas(['f']), replayedDone])
  })

  it('keys executions by identity.executionId when given, else by project or tenant, session and turn', async () => {
    const replay = await open()
    const { stats, hooks } = product({ tokens: ['a'] })
    await readAll(handleChatTurn({ identity: { ...identity, executionId: 'req-1' }, hooks: hooks(), replay }).body)
    await readAll(handleChatTurn({ identity: { ...identity, executionId: 'req-1', turnIndex: 9 }, hooks: hooks(), replay }).body)
    expect(stats.produce).toBe(1)
    const next = handleChatTurn({ identity: { ...identity, projectId: 'legal' }, hooks: hooks(), replay })
    expect(next.executionId).toBe('legal:thread-1:2')
    await readAll(next.body)
    await readAll(handleChatTurn({ identity: { ...identity, turnIndex: 3 }, hooks: hooks(), replay }).body)
    expect(stats.produce).toBe(3)
  })
})

describe('handleChatTurn with a failing replay store', () => {
  const broken = (failAt: keyof ChatTurnReplayStore): ChatTurnReplayStore => {
    const inner = createMemoryChatTurnReplayStore()
    return {
      begin: (...a) => (failAt === 'begin' ? Promise.reject(new Error('connection refused')) : inner.begin(...a)),
      append: (...a) => (failAt === 'append' ? Promise.reject(new Error('disk full')) : inner.append(...a)),
      complete: (...a) => inner.complete(...a),
      fail: (...a) => inner.fail(...a),
    }
  }

  it('fails the turn with reason replay_store when begin throws, without producing', async () => {
    const { stats, hooks } = product({ tokens: ['a'] })
    const events = await readAll(handleChatTurn({ identity, hooks: hooks(), replay: broken('begin') }).body)
    expect(events).toEqual([
      started,
      { type: 'error', data: { message: 'replay store failed: connection refused' } },
      { type: 'session.run.failed', data: { sessionId: 'thread-1', executionId, reason: 'replay_store', message: 'replay store failed: connection refused' } },
    ])
    expect(stats.produce).toBe(0)
  })

  it('stops the producer and persists nothing when an append throws', async () => {
    const { stats, hooks } = product()
    const events = await readAll(handleChatTurn({ identity, hooks: hooks(), replay: broken('append') }).body)
    expect(events.at(-1)).toMatchObject({ type: 'session.run.failed', data: { reason: 'replay_store', message: 'replay store failed: disk full' } })
    expect(events).toHaveLength(1 + 64 + 2)
    expect(stats.persisted).toEqual([])
  })
})
