import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
import { expect, it } from 'vitest'
import { runWithKillsInsideAppends, runWithRandomKills, seededRandom } from './crash-harness.js'
import { expectCompleteRun } from './crash-verify.js'

// Two seeded kill schedules run side by side, each over its own file.
it('FileConversationJournal: a 20-turn run killed with SIGKILL at random points resumes to completion, every acknowledged turn exactly once, in order', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conv-crash-file-'))
  try {
    await Promise.all(
      [11, 2024].map(async (seed) => {
        const path = join(dir, `journal-${seed}.jsonl`)
        const runId = `crash_${seed}`
        const loop = await runWithRandomKills(['file', path, runId], seededRandom(seed))
        expectCompleteRun(await new FileConversationJournal(path).loadRun(runId), runId, loop)
        // On disk, not only after load-time dedupe: one complete turn record per index, in order.
        const raw = await readFile(path, 'utf8')
        expect(raw.endsWith('\n')).toBe(true)
        const indexes = raw
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { type: string; turn?: { index: number } })
          .filter((r) => r.type === 'turn')
          .map((r) => r.turn!.index)
        expect(indexes).toEqual([...Array(20).keys()])
      }),
    )
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

// Kills inside appends at seeded points (mid-write, or after the write but before fdatasync
// returns). A torn last line must be cut on restart, and every turn acknowledged before the
// kill (turn_end comes only after the append is durable) must be in the journal.
it('FileConversationJournal: SIGKILL inside appends leaves torn lines that are cut on restart, and loses no acknowledged turn', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conv-crash-append-'))
  const PAD = 20_000
  try {
    let torn = 0
    for (const seed of [5, 77]) {
      const path = join(dir, `journal-${seed}.jsonl`)
      const runId = `append_${seed}`
      const tail = async () => {
        const size = (await stat(path).catch(() => undefined))?.size ?? 0
        if (size === 0) return 'clean' as const
        const handle = await open(path, 'r')
        try {
          const last = Buffer.alloc(1)
          await handle.read(last, 0, 1, size - 1)
          return last[0] === 0x0a ? ('clean' as const) : ('torn' as const)
        } finally {
          await handle.close()
        }
      }
      const loop = await runWithKillsInsideAppends(['file', path, runId], seededRandom(seed), PAD, tail)
      torn += loop.tornTails
      expectCompleteRun(await new FileConversationJournal(path).loadRun(runId), runId, loop, PAD)
      // On disk: complete lines only, one turn record per index, in order.
      const raw = await readFile(path, 'utf8')
      expect(raw.endsWith('\n')).toBe(true)
      const records = raw
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; turn?: { index: number } })
      expect(records.filter((r) => r.type === 'turn').map((r) => r.turn!.index)).toEqual([...Array(20).keys()])
    }
    // The point of the test: kills really landed inside writes.
    expect(torn).toBeGreaterThan(0)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
