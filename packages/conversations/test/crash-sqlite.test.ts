import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { SqlConversationJournal, betterSqlite3ToSqlAdapter } from '@tangle-network/agent-runtime-conversations'
import { expect, it } from 'vitest'
import { runWithRandomKills, seededRandom } from './crash-harness.js'
import { expectCompleteRun } from './crash-verify.js'

// The worker restarts under the same owner id, so it reclaims its own lease at once.
it('SqlConversationJournal on SQLite: a 20-turn run killed with SIGKILL at random points resumes to completion, every acknowledged turn exactly once, in order', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conv-crash-sqlite-'))
  try {
    await Promise.all(
      [7, 4242].map(async (seed) => {
        const path = join(dir, `journal-${seed}.db`)
        const runId = `crash_${seed}`
        const loop = await runWithRandomKills(['sqlite', path, runId], seededRandom(seed))
        const db = new Database(path)
        try {
          expectCompleteRun(await new SqlConversationJournal(betterSqlite3ToSqlAdapter(db), 'crash').loadRun(runId), runId, loop)
          const rows = db.prepare('SELECT turn_index FROM crash_turns WHERE run_id = ? ORDER BY rowid').all(runId) as { turn_index: number }[]
          expect(rows.map((r) => r.turn_index)).toEqual([...Array(20).keys()])
        } finally {
          db.close()
        }
      }),
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
