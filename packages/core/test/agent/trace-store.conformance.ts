/** Test helper: the one behaviour spec every TraceStore meets (memory, SQLite, PostgreSQL). */
import type { TraceStore } from '@tangle-network/agent-runtime/agent'
import { afterEach, describe, expect, it } from 'vitest'

export interface TraceStoreHarness {
  store: TraceStore
  /** A second store over the same data (another process), or the same store for memory. */
  sibling(): TraceStore
  cleanup(): Promise<void>
}

export function describeTraceStoreConformance(name: string, open: () => Promise<TraceStoreHarness>): void {
  describe(`TraceStore conformance: ${name}`, () => {
    const opened: TraceStoreHarness[] = []
    const make = async () => {
      const h = await open()
      opened.push(h)
      return h
    }
    afterEach(async () => {
      for (const h of opened.splice(0)) await h.cleanup()
    })

    it('stores task, chat and loop events per run in order with seq numbers', async () => {
      const { store, sibling } = await make()
      await store.beginRun({ runId: 'r1', agentId: 'a', personaId: 'p1', startedAt: 10 })
      await store.beginRun({ runId: 'r2', agentId: 'a', startedAt: 11 })
      await store.append('r1', [
        { kind: 'task', type: 'tool_call', timestamp: 12, payload: { toolName: 'search', args: { q: 'héllo ✓' } } },
        { kind: 'chat', type: 'text_delta', timestamp: 13, payload: { text: 'hi' } },
      ])
      await store.append('r2', [{ kind: 'loop', type: 'loop.iteration.end', timestamp: 14 }])
      await store.append('r1', [{ kind: 'loop', type: 'loop.round', timestamp: 15, payload: { nested: { deep: [1, null, 'x'] } } }])
      const other = sibling()
      expect(await other.events('r1')).toEqual([
        { runId: 'r1', seq: 0, kind: 'task', type: 'tool_call', timestamp: 12, payload: { toolName: 'search', args: { q: 'héllo ✓' } } },
        { runId: 'r1', seq: 1, kind: 'chat', type: 'text_delta', timestamp: 13, payload: { text: 'hi' } },
        { runId: 'r1', seq: 2, kind: 'loop', type: 'loop.round', timestamp: 15, payload: { nested: { deep: [1, null, 'x'] } } },
      ])
      expect(await other.events('r1', { kind: 'loop' })).toHaveLength(1)
      expect(await other.events('r2')).toEqual([{ runId: 'r2', seq: 0, kind: 'loop', type: 'loop.iteration.end', timestamp: 14, payload: {} }])
      expect(await other.events('nope')).toEqual([])
    })

    it('keeps run rows: begin, end, get and list in start order with filters', async () => {
      const { store, sibling } = await make()
      await store.beginRun({ runId: 'b', agentId: 'x', startedAt: 200, variantId: 'v2' })
      await store.beginRun({ runId: 'a', agentId: 'x', startedAt: 100 })
      await store.beginRun({ runId: 'c', agentId: 'y', startedAt: 200 })
      await store.endRun('a', { status: 'completed', endedAt: 150, output: { answer: 42 }, scores: { helpful: 0.5 }, composite: 0.5, costUsd: 0.125 })
      await store.endRun('b', { status: 'failed', endedAt: 260, error: 'TimeoutError: slow' })
      const other = sibling()
      expect(await other.getRun('a')).toEqual({ runId: 'a', agentId: 'x', status: 'completed', startedAt: 100, endedAt: 150, output: { answer: 42 }, scores: { helpful: 0.5 }, composite: 0.5, costUsd: 0.125 })
      expect(await other.getRun('b')).toEqual({ runId: 'b', agentId: 'x', variantId: 'v2', status: 'failed', startedAt: 200, endedAt: 260, error: 'TimeoutError: slow' })
      expect(await other.getRun('c')).toEqual({ runId: 'c', agentId: 'y', status: 'running', startedAt: 200 })
      expect(await other.getRun('zzz')).toBeNull()
      expect((await other.listRuns()).map((r) => r.runId)).toEqual(['a', 'b', 'c'])
      expect((await other.listRuns({ agentId: 'x' })).map((r) => r.runId)).toEqual(['a', 'b'])
      expect((await other.listRuns({ since: 200 })).map((r) => r.runId)).toEqual(['b', 'c'])
      expect((await other.listRuns({ limit: 1 })).map((r) => r.runId)).toEqual(['a'])
    })

    it('refuses a duplicate run and writes to unknown runs', async () => {
      const { store } = await make()
      await store.beginRun({ runId: 'r', agentId: 'a', startedAt: 1 })
      await expect(store.beginRun({ runId: 'r', agentId: 'a', startedAt: 2 })).rejects.toMatchObject({ code: 'validation' })
      await expect(store.append('ghost', [{ kind: 'task', type: 'x', timestamp: 1 }])).rejects.toMatchObject({ code: 'not_found' })
      await expect(store.endRun('ghost', { status: 'completed', endedAt: 1 })).rejects.toMatchObject({ code: 'not_found' })
      await expect(store.recordOutcome({ outcomeId: 'o', runId: 'ghost', kind: 'rating', value: 1, recordedAt: 1 })).rejects.toMatchObject({ code: 'not_found' })
      await expect(store.append('', [])).rejects.toMatchObject({ code: 'validation' })
    })

    it('records outcomes against a run, ordered by time, and refuses duplicate ids', async () => {
      const { store, sibling } = await make()
      await store.beginRun({ runId: 'r', agentId: 'a', startedAt: 1 })
      await store.recordOutcome({ outcomeId: 'o2', runId: 'r', kind: 'conversion', value: 49.5, recordedAt: 30, metadata: { plan: 'pro' } })
      await store.recordOutcome({ outcomeId: 'o1', runId: 'r', kind: 'rating', value: 0.8, recordedAt: 20 })
      await expect(store.recordOutcome({ outcomeId: 'o1', runId: 'r', kind: 'rating', value: 1, recordedAt: 40 })).rejects.toMatchObject({ code: 'validation' })
      expect(await sibling().outcomes('r')).toEqual([
        { outcomeId: 'o1', runId: 'r', kind: 'rating', value: 0.8, recordedAt: 20 },
        { outcomeId: 'o2', runId: 'r', kind: 'conversion', value: 49.5, recordedAt: 30, metadata: { plan: 'pro' } },
      ])
      expect(await store.outcomes('other')).toEqual([])
    })

    it('returns copies: mutating a read result does not change the store', async () => {
      const { store } = await make()
      await store.beginRun({ runId: 'r', agentId: 'a', startedAt: 1 })
      await store.append('r', [{ kind: 'task', type: 't', timestamp: 1, payload: { a: 1 } }])
      const [e] = await store.events('r')
      e!.payload.a = 2
      expect((await store.events('r'))[0]!.payload).toEqual({ a: 1 })
    })
  })
}
