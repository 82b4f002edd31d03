/**
 * Test helper (not shipped): the one behaviour spec every ChatTurnReplayStore
 * must meet, run against the memory, SQLite and PostgreSQL stores.
 */
import type { ChatStreamEvent, ChatTurnReplayStore, ChatTurnReplayStoreOptions } from '@tangle-network/agent-runtime-core'
import { afterEach, describe, expect, it } from 'vitest'

/** Opens a store over fresh, isolated data; `sibling` opens a second instance over the same data (another process). */
export interface ReplayStoreHarness {
  store: ChatTurnReplayStore
  sibling(): ChatTurnReplayStore
  cleanup(): Promise<void>
}

export type ReplayStoreFactory = (options: Required<ChatTurnReplayStoreOptions>) => Promise<ReplayStoreHarness>

const TIMEOUT = 10_000
const ev = (i: number, extra: Record<string, unknown> = {}): ChatStreamEvent => ({ type: 'text_delta', data: { i, text: `t${i}`, ...extra } })

export function describeReplayStoreConformance(name: string, factory: ReplayStoreFactory): void {
  describe(`ChatTurnReplayStore conformance: ${name}`, () => {
    let now = 1_700_000_000_000
    const clock = () => now
    let open: ReplayStoreHarness[] = []
    const make = async () => {
      now = 1_700_000_000_000
      const h = await factory({ clock, inFlightTimeoutMs: TIMEOUT })
      open.push(h)
      return h
    }
    afterEach(async () => {
      for (const h of open) await h.cleanup()
      open = []
    })

    it('gives the first attempt `started` and a second one `in_flight` while the lease is live', async () => {
      const { store } = await make()
      expect(await store.begin('x1', 'a')).toEqual({ status: 'started' })
      expect(await store.begin('x1', 'b')).toEqual({ status: 'in_flight' })
      expect(await store.begin('x1', 'a')).toEqual({ status: 'in_flight' })
      expect(await store.begin('x2', 'b')).toEqual({ status: 'started' })
    })

    it('replays a persisted execution with its events in order and its final text', async () => {
      const { store } = await make()
      await store.begin('x', 'a')
      const events = Array.from({ length: 250 }, (_, i) => ev(i, { unicode: 'héllo ✓ 😀', nested: { deep: [1, null, 'two'] } }))
      expect(await store.append('x', 'a', events.slice(0, 10))).toBe(true)
      expect(await store.append('x', 'a', events.slice(10))).toBe(true)
      expect(await store.append('x', 'a', [])).toBe(true)
      expect(await store.complete('x', 'a', { finalText: 'done ✓', persisted: true })).toBe(true)
      expect(await store.begin('x', 'b')).toEqual({ status: 'completed', events, finalText: 'done ✓' })
      // Replay is repeatable and does not change ownership.
      expect(await store.begin('x', 'c')).toEqual({ status: 'completed', events, finalText: 'done ✓' })
    })

    it('ignores writes from an attempt that does not own the execution', async () => {
      const { store } = await make()
      expect(await store.append('nobody', 'a', [ev(1)])).toBe(false)
      expect(await store.complete('nobody', 'a', { finalText: '', persisted: true })).toBe(false)
      await store.begin('x', 'a')
      expect(await store.append('x', 'b', [ev(1)])).toBe(false)
      expect(await store.complete('x', 'b', { finalText: 'intruder', persisted: true })).toBe(false)
      await store.fail('x', 'b')
      expect(await store.begin('x', 'c')).toEqual({ status: 'in_flight' })
      await store.append('x', 'a', [ev(2)])
      await store.complete('x', 'a', { finalText: 'ok', persisted: true })
      expect(await store.begin('x', 'c')).toEqual({ status: 'completed', events: [ev(2)], finalText: 'ok' })
    })

    it('lets a retry start over after a running attempt fails, dropping its partial events', async () => {
      const { store } = await make()
      await store.begin('x', 'a')
      await store.append('x', 'a', [ev(1), ev(2)])
      await store.fail('x', 'a')
      expect(await store.append('x', 'a', [ev(3)])).toBe(false)
      expect(await store.begin('x', 'b')).toEqual({ status: 'started' })
      await store.append('x', 'b', [ev(9)])
      await store.complete('x', 'b', { finalText: 'second', persisted: true })
      expect(await store.begin('x', 'c')).toEqual({ status: 'completed', events: [ev(9)], finalText: 'second' })
    })

    it('resumes the persist of a produced execution whose persist failed, without a new producer run', async () => {
      const { store } = await make()
      await store.begin('x', 'a')
      await store.append('x', 'a', [ev(1)])
      expect(await store.complete('x', 'a', { finalText: 'text', persisted: false })).toBe(true)
      expect(await store.begin('x', 'b')).toEqual({ status: 'in_flight' })
      await store.fail('x', 'a')
      expect(await store.begin('x', 'b')).toEqual({ status: 'resume_persist', events: [ev(1)], finalText: 'text' })
      expect(await store.begin('x', 'c')).toEqual({ status: 'in_flight' })
      expect(await store.complete('x', 'a', { finalText: 'text', persisted: true })).toBe(false)
      expect(await store.complete('x', 'b', { finalText: 'text', persisted: false })).toBe(false)
      expect(await store.complete('x', 'b', { finalText: 'text', persisted: true })).toBe(true)
      expect(await store.begin('x', 'c')).toEqual({ status: 'completed', events: [ev(1)], finalText: 'text' })
    })

    it('lets a retry take over a running attempt whose lease expired; the stale attempt can no longer write', async () => {
      const { store } = await make()
      await store.begin('x', 'a')
      await store.append('x', 'a', [ev(1)])
      now += TIMEOUT - 1
      expect(await store.begin('x', 'b')).toEqual({ status: 'in_flight' })
      now += 1
      expect(await store.begin('x', 'b')).toEqual({ status: 'started' })
      expect(await store.append('x', 'a', [ev(2)])).toBe(false)
      expect(await store.complete('x', 'a', { finalText: 'stale', persisted: false })).toBe(false)
      await store.fail('x', 'a')
      expect(await store.append('x', 'b', [ev(3)])).toBe(true)
      expect(await store.complete('x', 'b', { finalText: 'fresh', persisted: true })).toBe(true)
      expect(await store.begin('x', 'c')).toEqual({ status: 'completed', events: [ev(3)], finalText: 'fresh' })
    })

    it('renews the lease on every append and on complete', async () => {
      const { store } = await make()
      await store.begin('x', 'a')
      now += TIMEOUT * 0.6
      await store.append('x', 'a', [ev(1)])
      now += TIMEOUT * 0.6
      expect(await store.begin('x', 'b')).toEqual({ status: 'in_flight' })
      await store.complete('x', 'a', { finalText: 't', persisted: false })
      now += TIMEOUT * 0.6
      expect(await store.begin('x', 'b')).toEqual({ status: 'in_flight' })
      now += TIMEOUT * 0.6
      expect(await store.begin('x', 'b')).toEqual({ status: 'resume_persist', events: [ev(1)], finalText: 't' })
    })

    it('lets exactly one of many concurrent attempts start, across store instances', async () => {
      const h = await make()
      const stores = [h.store, h.sibling(), h.sibling()]
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => stores[i % 3]!.begin('race', `a${i}`)))
      expect(results.filter((r) => r.status === 'started')).toHaveLength(1)
      expect(results.filter((r) => r.status === 'in_flight')).toHaveLength(11)
    })

    it('lets exactly one of many concurrent retries take over an expired lease', async () => {
      const h = await make()
      await h.store.begin('race', 'first')
      now += TIMEOUT
      const stores = [h.store, h.sibling(), h.sibling()]
      const results = await Promise.all(Array.from({ length: 9 }, (_, i) => stores[i % 3]!.begin('race', `b${i}`)))
      expect(results.filter((r) => r.status === 'started')).toHaveLength(1)
    })

    it('rejects an event that is not JSON-serialisable with a ValidationError', async () => {
      const { store } = await make()
      await store.begin('x', 'a')
      const bad = { type: 'bad', data: { n: 10n } } as unknown as ChatStreamEvent
      await expect(store.append('x', 'a', [bad])).rejects.toMatchObject({ code: 'validation' })
    })

    it('prunes finished executions older than the cutoff and keeps the rest', async () => {
      const { store } = await make()
      for (const id of ['done', 'failed', 'running']) await store.begin(id, 'a')
      await store.append('done', 'a', [ev(1)])
      await store.complete('done', 'a', { finalText: 'x', persisted: true })
      await store.fail('failed', 'a')
      now += 1000
      await store.begin('late', 'a')
      await store.complete('late', 'a', { finalText: 'y', persisted: true })
      expect(await store.prune!(now)).toBe(2)
      expect(await store.begin('done', 'b')).toEqual({ status: 'started' })
      expect(await store.begin('running', 'b')).toEqual({ status: 'in_flight' })
      expect(await store.begin('late', 'b')).toEqual({ status: 'completed', events: [], finalText: 'y' })
    })
  })
}
