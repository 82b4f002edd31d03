import Database from 'better-sqlite3'
import {
  type ConversationJournal,
  ConversationLeaseError,
  SqlConversationJournal,
  betterSqlite3ToSqlAdapter,
  d1ToSqlAdapter,
  defineConversation,
  pgToSqlAdapter,
  runConversation,
  runConversationStream,
} from '@tangle-network/agent-runtime-conversations'
import { NotFoundError, RuntimeRunStateError, ValidationError } from '@tangle-network/agent-runtime-core'
import { afterAll, describe, expect, it } from 'vitest'
import { echoBackend } from './backends.js'
import { makeTurn } from './journal-conformance.js'
import { createPool, dropJournalTables, uniquePrefix } from './pg-helpers.js'

const pool = createPool()
afterAll(async () => {
  await pool.end()
})

// A D1 binding's shape, backed by a real SQLite database.
function d1Over(db: Database.Database) {
  return {
    prepare(sql: string) {
      return {
        bind(...values: unknown[]) {
          const stmt = db.prepare(sql)
          return {
            async run() {
              return { meta: { changes: stmt.run(...values).changes } }
            },
            async all<T>() {
              return { results: stmt.all(...values) as T[] }
            },
          }
        },
      }
    },
  }
}

describe('SqlConversationJournal', () => {
  it('validates its adapter, table prefix and options', () => {
    const db = betterSqlite3ToSqlAdapter(new Database(':memory:'))
    const cases: [() => unknown, string][] = [
      [() => new SqlConversationJournal({} as never), 'SqlConversationJournal: expected a SqlAdapter ({ exec, query }); wrap your driver with betterSqlite3ToSqlAdapter, pgToSqlAdapter or d1ToSqlAdapter.'],
      [() => new SqlConversationJournal(db, 'bad-name; DROP'), 'SqlConversationJournal: table prefix "bad-name; DROP" is not a plain SQL identifier; use letters, digits and underscores, starting with a letter.'],
      [() => new SqlConversationJournal(db, 't', { leaseMs: 0 }), 'SqlConversationJournal: leaseMs must be a positive number of milliseconds, got 0.'],
      [() => new SqlConversationJournal(db, 't', { owner: '' }), 'SqlConversationJournal: owner must be a non-empty string.'],
    ]
    for (const [fn, message] of cases) {
      expect(fn).toThrow(ValidationError)
      expect(fn).toThrow(message)
    }
  })

  it('migrate() is idempotent and creates <prefix>_runs and <prefix>_turns', async () => {
    const raw = new Database(':memory:')
    const journal = new SqlConversationJournal(betterSqlite3ToSqlAdapter(raw), 'my_app')
    await journal.migrate()
    await journal.migrate()
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    expect(tables.map((t) => t.name)).toEqual(['my_app_runs', 'my_app_turns'])
  })

  it('works over a D1 binding through d1ToSqlAdapter', async () => {
    const journal = new SqlConversationJournal(d1ToSqlAdapter(d1Over(new Database(':memory:'))))
    await journal.migrate()
    const conv = defineConversation({ participants: [{ name: 'a', backend: echoBackend('a') }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 3 } })
    await runConversation(conv, { seed: 's', runId: 'd1', journal })
    const entry = await journal.loadRun('d1')
    expect(entry?.turns.map((t) => t.text)).toEqual(['a:1', 'b:1', 'a:2'])
    expect(entry?.halted).toEqual({ kind: 'max_turns', turns: 3 })
  })

  for (const dialect of ['sqlite', 'postgres'] as const) {
    describe(`leases (${dialect})`, () => {
      const setup = async () => {
        let now = 1_000_000
        const clock = () => now
        const prefix = uniquePrefix('lease')
        const adapter = dialect === 'sqlite' ? betterSqlite3ToSqlAdapter(new Database(':memory:')) : pgToSqlAdapter(pool)
        const a = new SqlConversationJournal(adapter, prefix, { owner: 'worker-a', leaseMs: 1000, clock })
        const b = new SqlConversationJournal(adapter, prefix, { owner: 'worker-b', leaseMs: 1000, clock })
        await a.migrate()
        return { a, b, advance: (ms: number) => (now += ms), cleanup: () => (dialect === 'postgres' ? dropJournalTables(pool, prefix) : Promise.resolve()) }
      }

      it('one owner at a time; a lapsed lease can be taken over, and the old owner is fenced out', async () => {
        const { a, b, advance, cleanup } = await setup()
        try {
          await a.beginRun('r', 'T0')
          await a.claimRun('r')
          await a.claimRun('r')
          await a.appendTurn('r', makeTurn('r', 0))
          const refused = await b.claimRun('r').catch((e) => e)
          expect(refused).toBeInstanceOf(ConversationLeaseError)
          expect(refused.code).toBe('conflict')
          expect(refused.owner).toBe('worker-a')
          expect(refused.message).toMatch(/^Conversation run "r" is owned by another worker \("worker-a"\) \(lease until .+\); leave it to that worker, or resume it after its lease expires\.$/)
          const bAppend = await b.appendTurn('r', makeTurn('r', 1)).catch((e) => e)
          expect(bAppend).toBeInstanceOf(ConversationLeaseError)
          advance(1001)
          await b.claimRun('r')
          // a's lease lapsed and b took the run: a's late writes are refused.
          const aAppend = await a.appendTurn('r', makeTurn('r', 1)).catch((e) => e)
          expect(aAppend).toBeInstanceOf(ConversationLeaseError)
          expect(aAppend.owner).toBe('worker-b')
          const aHalt = await a.recordHalt('r', { kind: 'abort' }, 'T1').catch((e) => e)
          expect(aHalt).toBeInstanceOf(ConversationLeaseError)
          await b.appendTurn('r', makeTurn('r', 1))
          await b.releaseRun('r')
          await a.claimRun('r')
          await a.recordHalt('r', { kind: 'max_turns', turns: 2 }, 'T2')
          const afterHalt = await b.claimRun('r').catch((e) => e)
          expect(afterHalt).toBeInstanceOf(RuntimeRunStateError)
          expect(afterHalt.message).toContain('Cannot claim conversation run "r": it already halted (max_turns)')
          const unknown = await b.claimRun('nope').catch((e) => e)
          expect(unknown).toBeInstanceOf(NotFoundError)
          expect((await b.loadRun('r'))?.turns.map((t) => t.index)).toEqual([0, 1])
        } finally {
          await cleanup()
        }
      })

      it('runConversation claims the run, and a second runner is refused before calling any backend', async () => {
        const { a, b, cleanup } = await setup()
        try {
          const conv = defineConversation({ participants: [{ name: 'a', backend: echoBackend('a') }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 4 } })
          let interrupted = 0
          for await (const e of runConversationStream(conv, { seed: 's', runId: 'run', journal: a })) {
            if (e.type === 'turn_end' && ++interrupted === 1) {
              const hb = echoBackend('hb')
              const rival = defineConversation({ participants: [{ name: 'a', backend: hb }, { name: 'b', backend: hb }], policy: { maxTurns: 4 } })
              const err = await runConversation(rival, { seed: 's', runId: 'run', journal: b }).catch((x) => x)
              expect(err).toBeInstanceOf(ConversationLeaseError)
              expect(hb.calls).toHaveLength(0)
            }
          }
          const entry = await b.loadRun('run')
          expect(entry?.turns).toHaveLength(4)
          expect(entry?.halted).toEqual({ kind: 'max_turns', turns: 4 })
          // A halted run is free again (and final): the rival now just replays it.
          const replay = await runConversation(conv, { seed: 's', runId: 'run', journal: b })
          expect(replay.turns).toBe(4)
        } finally {
          await cleanup()
        }
      })

      it('a resuming runner reads the transcript again after its claim, so turns committed between its load and its claim are not redone', async () => {
        const { a, b, cleanup } = await setup()
        try {
          const conv = defineConversation({ participants: [{ name: 'a', backend: echoBackend('a') }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 4 } })
          const first = runConversationStream(conv, { seed: 's', runId: 'gap', journal: a })
          const nextTurnEnd = async () => {
            for (let step = await first.next(); !step.done; step = await first.next()) if (step.value.type === 'turn_end') return step.value.turn.index
            throw new Error('the first runner ended early')
          }
          expect(await nextTurnEnd()).toBe(0)
          // b loads the run (1 turn) and then waits for its claim while a commits turn 1 and releases the run.
          let releaseClaim!: () => void
          const claimGate = new Promise<void>((resolve) => {
            releaseClaim = resolve
          })
          let loaded!: () => void
          const bLoaded = new Promise<void>((resolve) => {
            loaded = resolve
          })
          const gatedB: ConversationJournal = {
            loadRun: async (id) => {
              const entry = await b.loadRun(id)
              loaded()
              return entry
            },
            beginRun: (id, at) => b.beginRun(id, at),
            appendTurn: (id, turn) => b.appendTurn(id, turn),
            recordHalt: (id, halt, at) => b.recordHalt(id, halt, at),
            claimRun: async (id) => {
              await claimGate
              return b.claimRun(id)
            },
            releaseRun: (id) => b.releaseRun(id),
          }
          const resumed = runConversation(conv, { seed: 's', runId: 'gap', journal: gatedB })
          await bLoaded
          expect(await nextTurnEnd()).toBe(1)
          await first.return(undefined) // a stops between turns and releases its claim
          releaseClaim()
          const result = await resumed
          expect(result.transcript.map((t) => [t.index, t.speaker])).toEqual([
            [0, 'a'],
            [1, 'b'],
            [2, 'a'],
            [3, 'b'],
          ])
          expect((await a.loadRun('gap'))?.halted).toEqual({ kind: 'max_turns', turns: 4 })
        } finally {
          await cleanup()
        }
      })
    })
  }

  it('an interrupted run releases its lease so another worker can resume at once', async () => {
    const adapter = betterSqlite3ToSqlAdapter(new Database(':memory:'))
    const a = new SqlConversationJournal(adapter, 'rel', { owner: 'a' })
    const b = new SqlConversationJournal(adapter, 'rel', { owner: 'b' })
    await a.migrate()
    const conv = defineConversation({ participants: [{ name: 'a', backend: echoBackend('a') }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 3 } })
    for await (const e of runConversationStream(conv, { seed: 's', runId: 'x', journal: a })) if (e.type === 'turn_end') break
    const result = await runConversation(conv, { seed: 's', runId: 'x', journal: b })
    expect(result.transcript.map((t) => t.index)).toEqual([0, 1, 2])
  })
})
