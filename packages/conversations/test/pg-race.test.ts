import { SqlConversationJournal, pgToSqlAdapter } from '@tangle-network/agent-runtime-conversations'
import { afterAll, expect, it } from 'vitest'
import { spawnWorker } from './crash-harness.js'
import { expectedTexts } from './fixtures/scripted-participants.js'
import { DATABASE_URL, createPgPool, dropTables, uniqueTablePrefix } from '../../../test/support/pg.js'

const pool = createPgPool()
afterAll(async () => {
  await pool.end()
})

/**
 * Two worker processes resume the same half-done run at the same instant.
 * Each claims the run with one conditional UPDATE on its runs row
 * (`owner IS NULL OR owner = me OR lease_until < now`); PostgreSQL's row lock
 * makes the second UPDATE re-check that condition after the first commits,
 * so exactly one sees a changed row and proceeds; the other is refused with
 * ConversationLeaseError before it calls any backend.
 *
 * The race is made the same every time by barriers: both workers start
 * together, and both are held at `claimRun` (after loading the run) until
 * each has reached it, then released together. A claim that does not check
 * the owner lets both through, and the loser's backend calls show it.
 */
it('PostgreSQL: two workers racing to resume one run — exactly one makes progress and the journal stays exact', { timeout: 90_000 }, async () => {
  const prefix = uniqueTablePrefix('race')
  const journal = new SqlConversationJournal(pgToSqlAdapter(pool), prefix)
  await journal.migrate()
  const expected = expectedTexts(20)
  try {
    for (const round of [1, 2]) {
      const runId = `race_${round}`
      // A previous worker committed turns 0..4 and died without a lease.
      await journal.beginRun(runId, '2026-01-01T00:00:00.000Z')
      for (let i = 0; i < 5; i++) {
        await journal.appendTurn(runId, {
          index: i,
          speaker: i % 2 === 0 ? 'alice' : 'bob',
          turnId: `${runId}.t${i}.${i % 2 === 0 ? 'alice' : 'bob'}`,
          text: expected[i]!,
          attempts: 1,
          startedAt: '2026-01-01T00:00:00.000Z',
          endedAt: '2026-01-01T00:00:00.000Z',
        })
      }
      const location = `${DATABASE_URL}#${prefix}`
      let ready = 0
      let claiming = 0
      const workers = ['w1', 'w2'].map((owner) =>
        spawnWorker(
          ['pg', location, runId, owner, '60000', 'wait'],
          (line) => {
            if (line === 'READY' && ++ready === 2) for (const w of workers) w.child.stdin!.write('go\n')
            if (line === 'CLAIMING' && ++claiming === 2) for (const w of workers) w.child.stdin!.write('claim\n')
          },
          { CRASH_CLAIM_BARRIER: '1' },
        ),
      )
      const runs = await Promise.all(workers.map((w) => w.done))
      const acksOf = (lines: string[]) => lines.filter((l) => l.startsWith('ACK '))
      const progressed = runs.filter((r) => acksOf(r.lines).length > 0)
      expect(progressed).toHaveLength(1)
      const winner = progressed[0]!
      const loser = runs.find((r) => r !== winner)!
      expect(acksOf(winner.lines).map((l) => Number(l.split(' ')[1]))).toEqual([...Array(15).keys()].map((i) => i + 5))
      expect(winner.lines).toContain('DONE max_turns 20')
      expect(acksOf(loser.lines)).toEqual([])
      // Both were held at the claim, so both had loaded the run before either claimed it.
      expect(runs.map((r) => r.lines.filter((l) => l === 'CLAIMING').length)).toEqual([1, 1])
      const callsOf = (lines: string[]) => lines.filter((l) => l.startsWith('CALL ')).map((l) => Number(l.split(' ')[1]))
      expect(callsOf(loser.lines), 'the refused worker called no backend').toEqual([])
      expect(callsOf(winner.lines)).toEqual([...Array(15).keys()].map((i) => i + 5))
      const refusal = loser.lines.find((l) => l.startsWith('REFUSED '))
      expect(refusal).toMatch(/^REFUSED conflict Conversation run "race_\d" is owned by another worker \("w[12]"\)/)

      const entry = await journal.loadRun(runId)
      expect(entry?.halted).toEqual({ kind: 'max_turns', turns: 20 })
      expect(entry?.turns.map((t) => t.index)).toEqual([...Array(20).keys()])
      expect(entry?.turns.map((t) => t.text)).toEqual(expected)
    }
  } finally {
    await dropTables(pool, `${prefix}_turns`, `${prefix}_runs`)
  }
})
