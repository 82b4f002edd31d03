import { type FileHandle, open, stat, truncate } from 'node:fs/promises'
import { dirname } from 'node:path'
import { RuntimeRunStateError, ValidationError } from '@tangle-network/agent-runtime-core'
import type { ConversationJournal, ConversationJournalEntry, ConversationTurn, HaltReason } from '../index.js'
import { assertRunId, assertTurn, cloneJson, haltedRunError, startedAtMismatchError, turnOrderError, unknownRunError } from '../journal/checks.js'

/** One line of the JSONL file. */
type JournalRecord =
  | { type: 'begin'; runId: string; startedAt: string }
  | { type: 'turn'; runId: string; turn: ConversationTurn }
  | { type: 'halt'; runId: string; halt: HaltReason; endedAt: string }

/**
 * A conversation journal in a JSONL file: one `begin`, `turn` or `halt`
 * record per line, several runs per file allowed. Every append is written
 * with one `write` and made durable with `fdatasync` before it resolves, so
 * an acknowledged turn survives `kill -9` and power loss. A crash mid-write
 * leaves at most one torn last line (no trailing newline); it was never
 * acknowledged, so it is ignored and cut off when the file is next opened.
 *
 * One process writes a file at a time; for several workers sharing runs use
 * `SqlConversationJournal` with PostgreSQL.
 * @stable
 * @example
 * const journal = new FileConversationJournal('.agent-runtime/conversations.jsonl')
 * await runConversation(conv, { seed: 'hi', runId: 'run_1', journal })
 * await journal.close()
 */
export class FileConversationJournal implements ConversationJournal {
  private readonly path: string
  private runs: Map<string, ConversationJournalEntry> | undefined
  /** Bytes of complete lines already parsed into `runs`: a reload reads only what follows. */
  private scanned = 0
  /** Complete lines parsed so far (for error messages naming a line). */
  private lines = 0
  private handle: FileHandle | undefined
  private tail: Promise<unknown> = Promise.resolve()

  constructor(path: string) {
    if (typeof path !== 'string' || path === '') throw new ValidationError('FileConversationJournal: expected a file path, e.g. ".agent-runtime/journal.jsonl".')
    this.path = path
  }

  /** Reads what was appended since the last read, so a run written by an earlier process is seen. */
  async loadRun(runId: string): Promise<ConversationJournalEntry | undefined> {
    assertRunId(runId)
    return this.exclusive(async () => {
      await this.reload()
      const entry = this.runs!.get(runId)
      return entry ? cloneJson(entry) : undefined
    })
  }

  async beginRun(runId: string, startedAt: string): Promise<void> {
    assertRunId(runId)
    return this.exclusive(async () => {
      const runs = await this.state()
      const existing = runs.get(runId)
      if (existing) {
        if (existing.startedAt !== startedAt) throw startedAtMismatchError(runId, existing.startedAt, startedAt)
        return
      }
      await this.write({ type: 'begin', runId, startedAt })
      runs.set(runId, { runId, startedAt, turns: [] })
    })
  }

  async appendTurn(runId: string, turn: ConversationTurn): Promise<void> {
    assertTurn(runId, turn)
    return this.exclusive(async () => {
      const entry = (await this.state()).get(runId)
      if (!entry) throw unknownRunError(runId, 'append to')
      if (entry.halted) throw haltedRunError(runId, 'append to', entry.halted)
      if (turn.index !== entry.turns.length) throw turnOrderError(runId, turn.index, entry.turns.length)
      const copy = cloneJson(turn)
      await this.write({ type: 'turn', runId, turn: copy })
      entry.turns.push(copy)
    })
  }

  async recordHalt(runId: string, halt: HaltReason, endedAt: string): Promise<void> {
    assertRunId(runId)
    return this.exclusive(async () => {
      const entry = (await this.state()).get(runId)
      if (!entry) throw unknownRunError(runId, 'halt')
      if (entry.halted) throw haltedRunError(runId, 'halt', entry.halted)
      await this.write({ type: 'halt', runId, halt, endedAt })
      entry.halted = cloneJson(halt)
      entry.endedAt = endedAt
    })
  }

  /** Closes the file handle; the journal reopens it on next use. */
  async close(): Promise<void> {
    return this.exclusive(async () => {
      const handle = this.handle
      this.handle = undefined
      this.runs = undefined
      await handle?.close()
    })
  }

  // Serialises operations so the in-memory view and the file never diverge.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => undefined)
    return run
  }

  private async state(): Promise<Map<string, ConversationJournalEntry>> {
    if (!this.runs) await this.reload()
    return this.runs!
  }

  /**
   * Brings `runs` up to date with the file. Only the bytes after `scanned`
   * are read and parsed (records are only ever appended), so a resume costs
   * what was written since, not the whole file; a file that shrank is read
   * from the start.
   */
  private async reload(): Promise<void> {
    const size = await fileSize(this.path)
    const from = this.runs && size >= this.scanned ? this.scanned : 0
    const bytes = from === size ? Buffer.alloc(0) : await readRange(this.path, from, size)
    const complete = bytes.lastIndexOf(0x0a) + 1
    if (complete < bytes.length) {
      // A torn tail from a crash mid-write: never acknowledged, so drop it
      // before anything is appended after it.
      await this.closeHandle()
      await truncate(this.path, from + complete)
    }
    const runs = from === 0 ? new Map<string, ConversationJournalEntry>() : this.runs!
    parseRecords(bytes.subarray(0, complete).toString('utf8'), this.path, runs, from === 0 ? 1 : this.lines + 1)
    this.runs = runs
    this.scanned = from + complete
    this.lines = from === 0 ? countLines(bytes, complete) : this.lines + countLines(bytes, complete)
  }

  private async write(record: JournalRecord): Promise<void> {
    try {
      if (!this.handle) {
        const created = !(await exists(this.path))
        this.handle = await open(this.path, 'a')
        if (created) await syncDirectory(dirname(this.path))
      }
      const line = `${JSON.stringify(record)}\n`
      await this.handle.write(line)
      await this.handle.datasync()
      // Our own record is already in `runs`: the next reload starts after it.
      this.scanned += Buffer.byteLength(line)
      this.lines++
    } catch (err) {
      // The write may have left a partial line; forget the view so the next
      // operation re-reads the file and cuts the torn tail first.
      await this.closeHandle()
      this.runs = undefined
      throw err
    }
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    await handle?.close().catch(() => undefined)
  }
}

/** Parses complete JSONL records into `runs`, in file order; `firstLine` numbers the first one for errors. */
function parseRecords(text: string, path: string, runs: Map<string, ConversationJournalEntry>, firstLine: number): void {
  if (text === '') return
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() === '') continue
    let record: JournalRecord
    try {
      record = JSON.parse(line) as JournalRecord
    } catch (err) {
      throw new RuntimeRunStateError(
        `FileConversationJournal: line ${firstLine + i} of ${path} is not valid JSON although it is complete; the file was edited or damaged. Restore it from a copy or start a new journal file.`,
        { cause: err },
      )
    }
    const entry = runs.get(record.runId)
    if (record.type === 'begin') {
      if (!entry) runs.set(record.runId, { runId: record.runId, startedAt: record.startedAt, turns: [] })
    } else if (record.type === 'turn') {
      // Keep the first record of each index: a later duplicate is ignored.
      if (entry && !entry.halted && record.turn.index === entry.turns.length) entry.turns.push(record.turn)
    } else if (record.type === 'halt') {
      if (entry && !entry.halted) {
        entry.halted = record.halt
        entry.endedAt = record.endedAt
      }
    }
  }
}

function countLines(bytes: Buffer, end: number): number {
  let n = 0
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < end; i = bytes.indexOf(0x0a, i + 1)) n++
  return n
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
}

/** Reads bytes [from, to) of a file. */
async function readRange(path: string, from: number, to: number): Promise<Buffer> {
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

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

// Makes a newly created file's directory entry durable (POSIX); best-effort elsewhere.
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // Not supported on every platform (e.g. Windows); the file data itself is still synced.
  } finally {
    await handle?.close().catch(() => undefined)
  }
}
