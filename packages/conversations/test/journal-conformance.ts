/**
 * One behavioural spec for every ConversationJournal: the same cases run
 * against the memory, file, SQLite and PostgreSQL journals.
 */
import { NotFoundError, RuntimeRunStateError, ValidationError } from '@tangle-network/agent-runtime-core'
import type { ConversationJournal, ConversationTurn } from '@tangle-network/agent-runtime-conversations'
import { afterEach, describe, expect, it } from 'vitest'

/** A journal under test; `reopen` gives a fresh instance over the same storage (durable journals only). */
export interface JournalHarness {
  journal: ConversationJournal
  reopen?: () => Promise<ConversationJournal>
  cleanup: () => Promise<void>
}

/** Builds the nth committed turn of a run. */
export function makeTurn(runId: string, index: number, extra: Partial<ConversationTurn> = {}): ConversationTurn {
  const speaker = index % 2 === 0 ? 'alice' : 'bob'
  return {
    index,
    speaker,
    turnId: `${runId}.t${index}.${speaker}`,
    text: `turn ${index} says "hi"\nwith a newline and ünïcödé`,
    attempts: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:01.000Z',
    ...extra,
  }
}

const STARTED = '2026-01-01T00:00:00.000Z'

/** Registers the conformance cases for one journal implementation. */
export function describeJournalConformance(name: string, create: () => Promise<JournalHarness>): void {
  describe(`ConversationJournal conformance: ${name}`, () => {
    let harness: JournalHarness | undefined
    const setup = async () => {
      harness = await create()
      return harness
    }
    afterEach(async () => {
      await harness?.cleanup()
      harness = undefined
    })

    it('returns undefined for a run never begun', async () => {
      const { journal } = await setup()
      expect(await journal.loadRun('nope')).toBeUndefined()
    })

    it('begins a run idempotently and refuses a different startedAt', async () => {
      const { journal } = await setup()
      await journal.beginRun('r1', STARTED)
      await journal.beginRun('r1', STARTED)
      expect(await journal.loadRun('r1')).toEqual({ runId: 'r1', startedAt: STARTED, turns: [] })
      const err = await journal.beginRun('r1', '2026-02-02T00:00:00.000Z').catch((e) => e)
      expect(err).toBeInstanceOf(RuntimeRunStateError)
      expect(err).toMatchObject({ code: 'validation', kind: 'state' })
      expect(err.message).toContain('already began at 2026-01-01T00:00:00.000Z')
    })

    it('appends turns in order and loads them back exactly, usage included', async () => {
      const { journal } = await setup()
      await journal.beginRun('r1', STARTED)
      const turns = [makeTurn('r1', 0, { usage: { tokensIn: 10, tokensOut: 5, costUsd: 0.0123, latencyMs: 42, model: 'm' } }), makeTurn('r1', 1), makeTurn('r1', 2, { attempts: 3 })]
      for (const t of turns) await journal.appendTurn('r1', t)
      const loaded = await journal.loadRun('r1')
      expect(loaded?.turns).toEqual(turns)
      expect(loaded?.halted).toBeUndefined()
    })

    it('refuses an append to an unknown run', async () => {
      const { journal } = await setup()
      const err = await journal.appendTurn('ghost', makeTurn('ghost', 0)).catch((e) => e)
      expect(err).toBeInstanceOf(NotFoundError)
      expect(err.code).toBe('not_found')
      expect(err.message).toContain('"ghost"')
      expect(err.message).toContain('call beginRun')
    })

    it('refuses a duplicate turn index and keeps the first', async () => {
      const { journal } = await setup()
      await journal.beginRun('r1', STARTED)
      await journal.appendTurn('r1', makeTurn('r1', 0))
      await journal.appendTurn('r1', makeTurn('r1', 1))
      const err = await journal.appendTurn('r1', makeTurn('r1', 1, { text: 'second copy' })).catch((e) => e)
      expect(err).toBeInstanceOf(RuntimeRunStateError)
      expect(err.message).toContain('Cannot append turn 1 to conversation run "r1": it is already journaled; the next index is 2')
      const loaded = await journal.loadRun('r1')
      expect(loaded?.turns.map((t) => t.text)).toEqual([makeTurn('r1', 0).text, makeTurn('r1', 1).text])
    })

    it('refuses a turn that skips an index', async () => {
      const { journal } = await setup()
      await journal.beginRun('r1', STARTED)
      await journal.appendTurn('r1', makeTurn('r1', 0))
      const err = await journal.appendTurn('r1', makeTurn('r1', 2)).catch((e) => e)
      expect(err).toBeInstanceOf(RuntimeRunStateError)
      expect(err.message).toContain('earlier turns are missing; the next index is 1')
    })

    it('rejects a malformed turn with ValidationError', async () => {
      const { journal } = await setup()
      await journal.beginRun('r1', STARTED)
      const err = await journal.appendTurn('r1', { ...makeTurn('r1', 0), index: -1 }).catch((e) => e)
      expect(err).toBeInstanceOf(ValidationError)
      expect(err.message).toContain('non-negative integer index')
    })

    it('records a halt, then refuses appends and a second halt', async () => {
      const { journal } = await setup()
      await journal.beginRun('r1', STARTED)
      await journal.appendTurn('r1', makeTurn('r1', 0))
      await journal.recordHalt('r1', { kind: 'predicate', reason: 'done' }, '2026-01-01T00:01:00.000Z')
      const loaded = await journal.loadRun('r1')
      expect(loaded?.halted).toEqual({ kind: 'predicate', reason: 'done' })
      expect(loaded?.endedAt).toBe('2026-01-01T00:01:00.000Z')
      const append = await journal.appendTurn('r1', makeTurn('r1', 1)).catch((e) => e)
      expect(append).toBeInstanceOf(RuntimeRunStateError)
      expect(append.message).toContain('already halted (predicate)')
      const again = await journal.recordHalt('r1', { kind: 'abort' }, '2026-01-01T00:02:00.000Z').catch((e) => e)
      expect(again).toBeInstanceOf(RuntimeRunStateError)
      expect((await journal.loadRun('r1'))?.halted).toEqual({ kind: 'predicate', reason: 'done' })
    })

    it('refuses a halt for an unknown run', async () => {
      const { journal } = await setup()
      const err = await journal.recordHalt('ghost', { kind: 'abort' }, STARTED).catch((e) => e)
      expect(err).toBeInstanceOf(NotFoundError)
    })

    it('keeps runs apart', async () => {
      const { journal } = await setup()
      await journal.beginRun('a', STARTED)
      await journal.beginRun('b', STARTED)
      await journal.appendTurn('a', makeTurn('a', 0))
      await journal.appendTurn('b', makeTurn('b', 0))
      await journal.appendTurn('b', makeTurn('b', 1))
      await journal.recordHalt('a', { kind: 'max_turns', turns: 1 }, STARTED)
      expect((await journal.loadRun('a'))?.turns).toHaveLength(1)
      expect((await journal.loadRun('b'))?.turns).toHaveLength(2)
      expect((await journal.loadRun('b'))?.halted).toBeUndefined()
    })

    it('hands out copies: mutating a loaded entry changes nothing stored', async () => {
      const { journal } = await setup()
      await journal.beginRun('r1', STARTED)
      await journal.appendTurn('r1', makeTurn('r1', 0))
      const loaded = await journal.loadRun('r1')
      loaded!.turns[0]!.text = 'mutated'
      loaded!.turns.push(makeTurn('r1', 1))
      const again = await journal.loadRun('r1')
      expect(again?.turns).toEqual([makeTurn('r1', 0)])
    })

    it('survives a reopen with every turn once, in order (durable journals)', async () => {
      const h = await setup()
      await h.journal.beginRun('r1', STARTED)
      for (let i = 0; i < 5; i++) await h.journal.appendTurn('r1', makeTurn('r1', i))
      if (!h.reopen) {
        // The memory journal has nothing to reopen; its state is the instance.
        expect((await h.journal.loadRun('r1'))?.turns).toHaveLength(5)
        return
      }
      const fresh = await h.reopen()
      const loaded = await fresh.loadRun('r1')
      expect(loaded?.turns.map((t) => t.index)).toEqual([0, 1, 2, 3, 4])
      const dup = await fresh.appendTurn('r1', makeTurn('r1', 4)).catch((e) => e)
      expect(dup).toBeInstanceOf(RuntimeRunStateError)
      await fresh.appendTurn('r1', makeTurn('r1', 5))
      await fresh.recordHalt('r1', { kind: 'max_turns', turns: 6 }, STARTED)
      expect((await h.journal.loadRun('r1'))?.halted).toEqual({ kind: 'max_turns', turns: 6 })
    })
  })
}
