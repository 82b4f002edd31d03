/**
 * The resume index of a file journal: `<journal>.idx`, one JSON line
 * `["runId",offset,length]` per journal line, in journal order. It is a hint
 * only: the journal is the source of truth. Entries are trusted only as a
 * contiguous prefix starting at byte 0, and every record read through them is
 * checked (whole line, parses, belongs to the run, turns in order), so a
 * missing, torn, stale or wrong index costs a re-scan, never a wrong answer.
 */
import { type FileHandle, open, rename, stat, truncate, writeFile } from 'node:fs/promises'
import type { ConversationJournalEntry, ConversationTurn, HaltReason } from '../index.js'

/** One line of the JSONL journal. */
export type JournalRecord =
  | { type: 'begin'; runId: string; startedAt: string }
  | { type: 'turn'; runId: string; turn: ConversationTurn }
  | { type: 'halt'; runId: string; halt: HaltReason; endedAt: string }

/** Where one journal line lies: its run ('' for a blank line) and its bytes, newline included. */
export interface IndexedLine {
  runId: string
  offset: number
  length: number
}

/** Reads bytes [from, to) of a file; short only at end of file. */
export type ReadRange = (path: string, from: number, to: number) => Promise<Uint8Array>

/** The usable part of an index file. */
export interface LoadedIndex {
  lines: IndexedLine[]
  /** Journal bytes the entries cover: the journal is indexed up to here. */
  end: number
}

/** Encodes one index line. */
export function indexLine(line: IndexedLine): string {
  return `${JSON.stringify([line.runId, line.offset, line.length])}\n`
}

function parseIndexLine(text: string): IndexedLine | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!Array.isArray(value) || value.length !== 3) return undefined
  const [runId, offset, length] = value as unknown[]
  if (typeof runId !== 'string' || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) return undefined
  if ((offset as number) < 0 || (length as number) < 1) return undefined
  return { runId, offset: offset as number, length: length as number }
}

/**
 * Reads the index and keeps its contiguous prefix from byte 0. Anything after
 * (a torn last line from a crash, a gap, garbage) is cut off the file so later
 * appends continue a valid index. Missing or empty: `undefined`.
 */
export async function loadIndex(indexPath: string, read: ReadRange): Promise<LoadedIndex | undefined> {
  const size = await fileSize(indexPath)
  if (size === 0) return undefined
  const bytes = Buffer.from(await read(indexPath, 0, size))
  const lines: IndexedLine[] = []
  let end = 0
  let kept = 0
  for (let nl = bytes.indexOf(0x0a); nl !== -1; nl = bytes.indexOf(0x0a, kept)) {
    const line = parseIndexLine(bytes.toString('utf8', kept, nl))
    if (!line || line.offset !== end) break
    lines.push(line)
    end += line.length
    kept = nl + 1
  }
  if (kept < bytes.length) await truncate(indexPath, kept).catch(() => undefined)
  return { lines, end }
}

/** Replaces the index with `lines` (write a temporary file, then rename), best effort. */
export async function rewriteIndex(indexPath: string, lines: IndexedLine[]): Promise<void> {
  const temporary = `${indexPath}.tmp`
  try {
    await writeFile(temporary, lines.map(indexLine).join(''))
    await rename(temporary, indexPath)
  } catch {
    // A hint: without it the next fresh instance scans the file and tries again.
  }
}

/**
 * Reads the records of one run through its index entries, reading only those
 * bytes (adjacent lines in one read) plus the byte before each range, which
 * must be a line break. `undefined` when any of them is not a complete line
 * holding a record of `runId`: the index does not match the journal.
 */
export async function readRunRecords(path: string, runId: string, at: IndexedLine[], read: ReadRange): Promise<JournalRecord[] | undefined> {
  const records: JournalRecord[] = []
  for (let i = 0; i < at.length; ) {
    let j = i + 1
    while (j < at.length && at[j]!.offset === at[j - 1]!.offset + at[j - 1]!.length) j++
    const from = at[i]!.offset
    const to = at[j - 1]!.offset + at[j - 1]!.length
    const lead = from === 0 ? 0 : 1
    const bytes = Buffer.from(await read(path, from - lead, to))
    if (bytes.length !== to - from + lead || (lead === 1 && bytes[0] !== 0x0a)) return undefined
    for (let k = i; k < j; k++) {
      const start = at[k]!.offset - from + lead
      const stop = start + at[k]!.length
      if (bytes[stop - 1] !== 0x0a || bytes.subarray(start, stop - 1).includes(0x0a)) return undefined
      let record: JournalRecord
      try {
        record = JSON.parse(bytes.toString('utf8', start, stop - 1)) as JournalRecord
      } catch {
        return undefined
      }
      if (!record || typeof record !== 'object' || record.runId !== runId) return undefined
      records.push(record)
    }
    i = j
  }
  return records
}

/**
 * Applies one record to `runs` the way a full scan does: records before a
 * run's begin are ignored, a turn counts only at the next index (a later
 * duplicate is ignored), nothing counts after the halt. Returns false for a
 * turn past the next index, which a journal written by this class never holds.
 */
export function applyRecord(runs: Map<string, ConversationJournalEntry>, record: JournalRecord): boolean {
  const entry = runs.get(record.runId)
  if (record.type === 'begin') {
    if (!entry) runs.set(record.runId, { runId: record.runId, startedAt: record.startedAt, turns: [] })
  } else if (record.type === 'turn') {
    if (entry && !entry.halted) {
      if (record.turn.index > entry.turns.length) return false
      if (record.turn.index === entry.turns.length) entry.turns.push(record.turn)
    }
  } else if (record.type === 'halt') {
    if (entry && !entry.halted) {
      entry.halted = record.halt
      entry.endedAt = record.endedAt
    }
  }
  return true
}

/**
 * Rebuilds one run from its records; `null` when the records show the index
 * skipped one of the run's lines (a turn after a gap), `undefined` when they
 * hold no begin (no such run, as a full scan would also find).
 */
export function entryFromRecords(runId: string, records: JournalRecord[]): ConversationJournalEntry | undefined | null {
  const runs = new Map<string, ConversationJournalEntry>()
  for (const record of records) if (!applyRecord(runs, record)) return null
  return runs.get(runId)
}

/** An append-only handle on the index file, opened on first use; failures only drop the hint. */
export class IndexAppender {
  private handle: FileHandle | undefined
  private broken = false

  constructor(private readonly indexPath: string) {}

  /**
   * Appends entries; after a failed write it stops, so no gap is followed by
   * later entries. `keepOpen` (for a writer) keeps the handle for the next
   * append; a reader indexing a tail closes it, holding no handle after a load.
   */
  async append(lines: IndexedLine[], keepOpen: boolean): Promise<void> {
    if (this.broken || lines.length === 0) return
    try {
      this.handle ??= await open(this.indexPath, 'a')
      await this.handle.write(lines.map(indexLine).join(''))
      if (!keepOpen) await this.close()
    } catch {
      this.broken = true
      await this.close()
    }
  }

  /** Closes the handle; the next append reopens it. */
  async close(): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    await handle?.close().catch(() => undefined)
  }

  /** Allows appends again (after the index was rewritten from a full scan). */
  reset(): void {
    this.broken = false
  }
}

/** Size of a file, 0 when it does not exist. */
export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
}

/** Reads bytes [from, to) of a file with positioned reads. */
export async function readFileRange(path: string, from: number, to: number): Promise<Uint8Array> {
  const handle = await open(path, 'r')
  try {
    const out = Buffer.alloc(to - from)
    let filled = 0
    while (filled < out.length) {
      const { bytesRead } = await handle.read(out, filled, out.length - filled, from + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    return filled === out.length ? out : out.subarray(0, filled)
  } finally {
    await handle.close()
  }
}
