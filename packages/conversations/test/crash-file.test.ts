import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
import { expect, it } from 'vitest'
import { runWithRandomKills, seededRandom } from './crash-harness.js'
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
