// SIGKILL while the file journal writes its resume index (`<journal>.idx`):
// the index is written after the journal line is durable and before the
// append is acknowledged, so a kill there leaves a torn or short index. Each
// restart must repair it, resume the run through it, lose no acknowledged
// turn, and finish with an index that describes every journal line.
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
import { expect, it } from 'vitest'
import { type CrashLoopResult, seededRandom, spawnWorker } from './crash-harness.js'
import { expectCompleteRun } from './crash-verify.js'
import { makeTurn } from './journal-conformance.js'

/** True when the file's last byte is not a line break (a write was cut short). */
async function tornTail(path: string): Promise<boolean> {
  const size = (await stat(path).catch(() => undefined))?.size ?? 0
  if (size === 0) return false
  const handle = await open(path, 'r')
  try {
    const last = Buffer.alloc(1)
    await handle.read(last, 0, 1, size - 1)
    return last[0] !== 0x0a
  } finally {
    await handle.close()
  }
}

/** Restarts the worker until DONE, each run killed inside its k-th index write (0–5) after a seeded fraction of its bytes. */
async function runWithKillsInsideIndexWrites(path: string, runId: string, random: () => number): Promise<CrashLoopResult & { tornIndexes: number }> {
  const acks: CrashLoopResult['acks'] = []
  let kills = 0
  let tornIndexes = 0
  for (let spawns = 1; spawns <= 60; spawns++) {
    const fault = `index-tear:${Math.floor(random() * 6)}:${random().toFixed(4)}`
    const { done } = spawnWorker(
      ['file', path, runId],
      (line) => {
        if (line.startsWith('ACK ')) {
          const [, index, startedAt, ...text] = line.split(' ')
          acks.push({ index: Number(index), startedAt: startedAt!, text: text.join(' ') })
        }
      },
      { CRASH_FAULT: fault, CRASH_DELAY_MS: '1' },
    )
    const run = await done
    if (run.signal === 'SIGKILL') {
      kills++
      if (await tornTail(`${path}.idx`)) tornIndexes++
    }
    if (run.lines.some((l) => l.startsWith('DONE '))) return { acks, kills, spawns, final: run, tornIndexes }
  }
  throw new Error('the run did not complete within 60 spawns')
}

it('FileConversationJournal: SIGKILL inside resume-index writes loses no acknowledged turn, and the index ends up describing the whole journal', { timeout: 240_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'conv-crash-index-'))
  try {
    let torn = 0
    for (const seed of [3, 41]) {
      const path = join(dir, `journal-${seed}.jsonl`)
      const runId = `index_${seed}`
      // Another run first, so resuming reads a part of the file through the index.
      const prefill = new FileConversationJournal(path)
      await prefill.beginRun('other', '2026-01-01T00:00:00.000Z')
      for (let t = 0; t < 10; t++) await prefill.appendTurn('other', makeTurn('other', t))
      await prefill.close()

      const loop = await runWithKillsInsideIndexWrites(path, runId, seededRandom(seed))
      torn += loop.tornIndexes
      expectCompleteRun(await new FileConversationJournal(path).loadRun(runId), runId, loop)
      expect((await new FileConversationJournal(path).loadRun('other'))?.turns).toHaveLength(10)

      // The journal holds complete lines only, one turn record per index; the index covers each line, in order.
      const raw = await readFile(path)
      const records = raw
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; runId: string; turn?: { index: number } })
      expect(records.filter((r) => r.runId === runId && r.type === 'turn').map((r) => r.turn!.index)).toEqual([...Array(20).keys()])
      const index = (await readFile(`${path}.idx`, 'utf8')).trim().split('\n')
      expect(index).toHaveLength(records.length)
      let offset = 0
      index.forEach((line, i) => {
        const [indexedRun, at, length] = JSON.parse(line) as [string, number, number]
        expect([indexedRun, at]).toEqual([records[i]!.runId, offset])
        offset += length
      })
      expect(offset).toBe(raw.length)
    }
    // The point of the test: kills really landed inside index writes and tore them.
    expect(torn).toBeGreaterThan(0)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
