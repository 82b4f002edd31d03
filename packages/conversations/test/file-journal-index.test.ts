// The resume index `<journal>.idx`: a fresh FileConversationJournal resuming
// one run reads the index and that run's lines only, and any index it cannot
// trust (missing, torn, stale, pointing at the wrong bytes, skipping a line)
// costs a scan, never a wrong answer. Bytes read are counted through the
// journal's `readRange` option, so the tests do not depend on timing.
import { mkdtemp, open, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ConversationJournalEntry } from '@tangle-network/agent-runtime-conversations'
import { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeTurn } from './journal-conformance.js'

let dir: string
let path: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conv-file-idx-'))
  path = join(dir, 'journal.jsonl')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const RUNS = 12
const TURNS = 15
const STARTED = '2026-01-01T00:00:00.000Z'
const runIds = [...Array(RUNS).keys()].map((i) => `run_${i}`)

/** Counts the bytes read from each file, reading them with plain positioned reads. */
function countingReader() {
  const bytes = new Map<string, number>()
  const readRange = async (file: string, from: number, to: number): Promise<Uint8Array> => {
    const handle = await open(file, 'r')
    try {
      const out = Buffer.alloc(to - from)
      const { bytesRead } = await handle.read(out, 0, out.length, from)
      bytes.set(file, (bytes.get(file) ?? 0) + bytesRead)
      return out.subarray(0, bytesRead)
    } finally {
      await handle.close()
    }
  }
  return { readRange, read: (file: string) => bytes.get(file) ?? 0 }
}

/** Writes RUNS runs of TURNS turns, interleaved turn by turn, through the journal (so it keeps its index); the last run halts. */
async function writeRuns(): Promise<void> {
  const journal = new FileConversationJournal(path)
  for (const runId of runIds) await journal.beginRun(runId, STARTED)
  for (let t = 0; t < TURNS; t++) for (const runId of runIds) await journal.appendTurn(runId, makeTurn(runId, t))
  await journal.recordHalt(runIds.at(-1)!, { kind: 'max_turns', turns: TURNS }, STARTED)
  await journal.close()
}

/** The byte ranges of one run's lines in the journal file (what an index may make a reader read). */
async function runBytes(runId: string): Promise<{ bytes: number; lines: number }> {
  const raw = await readFile(path)
  let bytes = 0
  let lines = 0
  for (let start = 0; start < raw.length; ) {
    const nl = raw.indexOf(0x0a, start)
    if ((JSON.parse(raw.toString('utf8', start, nl)) as { runId: string }).runId === runId) {
      bytes += nl + 1 - start
      lines++
    }
    start = nl + 1
  }
  return { bytes, lines }
}

function expectFullRun(entry: ConversationJournalEntry | undefined, runId: string): void {
  expect(entry?.runId).toBe(runId)
  expect(entry?.turns.map((t) => t.index)).toEqual([...Array(TURNS).keys()])
  expect(entry?.turns.map((t) => t.turnId)).toEqual([...Array(TURNS).keys()].map((t) => makeTurn(runId, t).turnId))
}

/** Parses the index file and checks it describes every journal line, contiguously and with the right run. */
async function expectIndexMatchesJournal(): Promise<void> {
  const raw = await readFile(path)
  const index = await readFile(`${path}.idx`, 'utf8')
  expect(index.endsWith('\n')).toBe(true)
  const entries = index
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as [string, number, number])
  let offset = 0
  for (const [runId, at, length] of entries) {
    expect(at).toBe(offset)
    expect(raw[at + length - 1]).toBe(0x0a)
    expect((JSON.parse(raw.toString('utf8', at, at + length - 1)) as { runId: string }).runId).toBe(runId)
    offset += length
  }
  expect(offset).toBe(raw.length)
}

describe('FileConversationJournal resume index', () => {
  it('a fresh instance resuming one run among many reads the index and only that run’s bytes of the journal', async () => {
    await writeRuns()
    await expectIndexMatchesJournal()
    const journalSize = (await stat(path)).size
    const { bytes, lines } = await runBytes('run_5')
    expect(bytes * 5).toBeLessThan(journalSize)

    const counter = countingReader()
    const fresh = new FileConversationJournal(path, { readRange: counter.readRange })
    expectFullRun(await fresh.loadRun('run_5'), 'run_5')
    // The run's lines plus at most one boundary byte before each of them.
    expect(counter.read(path)).toBeGreaterThanOrEqual(bytes)
    expect(counter.read(path)).toBeLessThanOrEqual(bytes + lines)
    expect(counter.read(`${path}.idx`)).toBe((await stat(`${path}.idx`)).size)

    // Resuming continues it, and the next fresh instance sees the appended turn through the index.
    await fresh.appendTurn('run_5', makeTurn('run_5', TURNS))
    await fresh.close()
    await expectIndexMatchesJournal()
    const again = countingReader()
    const next = new FileConversationJournal(path, { readRange: again.readRange })
    expect((await next.loadRun('run_5'))?.turns).toHaveLength(TURNS + 1)
    expect(again.read(path)).toBeLessThanOrEqual((await runBytes('run_5')).bytes + lines + 1)
    // An unknown run costs no journal read at all.
    expect(await next.loadRun('nope')).toBeUndefined()
    expect(again.read(path)).toBeLessThanOrEqual((await runBytes('run_5')).bytes + lines + 1)

    // Without the index, a fresh instance reads the whole file.
    const plain = countingReader()
    expectFullRun(await new FileConversationJournal(path, { index: false, readRange: plain.readRange }).loadRun('run_3'), 'run_3')
    expect(plain.read(path)).toBe((await stat(path)).size)
  })

  it('a missing index: the fresh instance scans the file, answers correctly and rebuilds the index', async () => {
    await writeRuns()
    await unlink(`${path}.idx`)
    const counter = countingReader()
    const halted = await new FileConversationJournal(path, { readRange: counter.readRange }).loadRun(runIds.at(-1)!)
    expectFullRun(halted, runIds.at(-1)!)
    expect(halted?.halted).toEqual({ kind: 'max_turns', turns: TURNS })
    expect(counter.read(path)).toBe((await stat(path)).size)
    await expectIndexMatchesJournal()
    const after = countingReader()
    expectFullRun(await new FileConversationJournal(path, { readRange: after.readRange }).loadRun('run_2'), 'run_2')
    expect(after.read(path)).toBeLessThan((await stat(path)).size / 5)
  })

  it('a torn last index line (a crash while writing it) is cut, and the journal lines it missed are indexed from the file', async () => {
    await writeRuns()
    const size = (await stat(`${path}.idx`)).size
    await truncate(`${path}.idx`, size - 4)
    const entry = await new FileConversationJournal(path).loadRun(runIds.at(-1)!)
    expectFullRun(entry, runIds.at(-1)!)
    expect(entry?.halted?.kind).toBe('max_turns')
    await expectIndexMatchesJournal()
  })

  it('a stale index (the journal grew after it) is used for its part, and only the journal tail is read and indexed', async () => {
    await writeRuns()
    const indexed = (await stat(path)).size
    // Written without the index: records the index does not know about.
    const writer = new FileConversationJournal(path, { index: false })
    await writer.appendTurn('run_1', makeTurn('run_1', TURNS))
    await writer.beginRun('late', STARTED)
    await writer.appendTurn('late', makeTurn('late', 0))
    await writer.close()
    const tail = (await stat(path)).size - indexed

    const counter = countingReader()
    const fresh = new FileConversationJournal(path, { readRange: counter.readRange })
    expect((await fresh.loadRun('run_1'))?.turns.map((t) => t.index)).toEqual([...Array(TURNS + 1).keys()])
    const { bytes, lines } = await runBytes('run_1')
    expect(counter.read(path)).toBeLessThanOrEqual(tail + bytes + lines)
    expect((await fresh.loadRun('late'))?.turns.map((t) => t.turnId)).toEqual([makeTurn('late', 0).turnId])
    await fresh.close()
    await expectIndexMatchesJournal()
  })

  it('an index pointing at the wrong bytes (the journal was replaced) falls back to a scan and is rebuilt', async () => {
    await writeRuns()
    const index = await readFile(`${path}.idx`)
    // Another journal of the same runs, each record padded, so every offset moves but the file is longer.
    const other = new FileConversationJournal(join(dir, 'other.jsonl'), { index: false })
    for (const runId of runIds) await other.beginRun(runId, STARTED)
    for (let t = 0; t < TURNS; t++) for (const runId of runIds) await other.appendTurn(runId, makeTurn(runId, t, { text: `padded ${t} ${'x'.repeat(t)}` }))
    await other.close()
    await writeFile(path, await readFile(join(dir, 'other.jsonl')))
    await writeFile(`${path}.idx`, index)
    expect((await stat(path)).size).toBeGreaterThan(index.length)

    const entry = await new FileConversationJournal(path).loadRun('run_4')
    expect(entry?.turns.map((t) => t.text)).toEqual([...Array(TURNS).keys()].map((t) => `padded ${t} ${'x'.repeat(t)}`))
    await expectIndexMatchesJournal()
  })

  it('an index longer than the journal (restored from an older copy, then appended to) is not trusted', async () => {
    await writeRuns()
    const raw = await readFile(path)
    await writeFile(path, raw.subarray(0, raw.indexOf(0x0a, Math.floor(raw.length / 2)) + 1))
    const writer = new FileConversationJournal(path, { index: false })
    await writer.beginRun('restored', STARTED)
    await writer.appendTurn('restored', makeTurn('restored', 0))
    await writer.close()
    expect((await stat(path)).size).toBeLessThan(raw.length)
    expect((await new FileConversationJournal(path).loadRun('restored'))?.turns).toHaveLength(1)
    await expectIndexMatchesJournal()
  })

  it('an index that labels one of a run’s lines with another run (a skipped turn) falls back to a scan', async () => {
    await writeRuns()
    const entries = (await readFile(`${path}.idx`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [string, number, number])
    const victim = entries.findIndex(([runId], i) => runId === 'run_7' && i > RUNS + 3 * RUNS)
    entries[victim]![0] = 'run_8'
    await writeFile(`${path}.idx`, entries.map((e) => `${JSON.stringify(e)}\n`).join(''))
    expectFullRun(await new FileConversationJournal(path).loadRun('run_7'), 'run_7')
    await expectIndexMatchesJournal()
  })

  it('an index that swaps two runs’ lines (whole, well-formed lines of the wrong run) falls back to a scan', async () => {
    await writeRuns()
    const swapped = (await readFile(`${path}.idx`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as [string, number, number])
      .map(([runId, at, length]) => [runId === 'run_4' ? 'run_5' : runId === 'run_5' ? 'run_4' : runId, at, length])
    await writeFile(`${path}.idx`, swapped.map((e) => `${JSON.stringify(e)}\n`).join(''))
    expectFullRun(await new FileConversationJournal(path).loadRun('run_4'), 'run_4')
    await expectIndexMatchesJournal()
  })

  it('an index with a gap or garbage keeps its contiguous prefix and indexes the rest from the journal', async () => {
    await writeRuns()
    const lines = (await readFile(`${path}.idx`, 'utf8')).trim().split('\n')
    const broken = [...lines.slice(0, 40), ...lines.slice(41, 60), 'not an index line', ...lines.slice(60)]
    await writeFile(`${path}.idx`, `${broken.join('\n')}\n`)
    const counter = countingReader()
    expectFullRun(await new FileConversationJournal(path, { readRange: counter.readRange }).loadRun('run_0'), 'run_0')
    // The first 40 lines were trusted: less than the whole file was read.
    expect(counter.read(path)).toBeLessThan((await stat(path)).size)
    await expectIndexMatchesJournal()
    // Appends after the repair continue a valid index.
    const journal = new FileConversationJournal(path)
    await journal.appendTurn('run_0', makeTurn('run_0', TURNS))
    await journal.close()
    await expectIndexMatchesJournal()
  })
})
