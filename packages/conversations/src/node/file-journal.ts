import { type FileHandle, open, stat, truncate } from 'node:fs/promises'
import { dirname } from 'node:path'
import { RuntimeRunStateError, ValidationError } from '@tangle-network/agent-runtime-core'
import type { ConversationJournal, ConversationJournalEntry, ConversationTurn, HaltReason } from '../index.js'
import { assertRunId, assertTurn, cloneJson, haltedRunError, startedAtMismatchError, turnOrderError, unknownRunError } from '../journal/checks.js'
import {
  applyRecord,
  entryFromRecords,
  fileSize,
  IndexAppender,
  type IndexedLine,
  type JournalRecord,
  loadIndex,
  type ReadRange,
  readFileRange,
  readRunRecords,
  rewriteIndex,
} from './file-journal-index.js'

/** Options of {@link FileConversationJournal}. @stable */
export interface FileConversationJournalOptions {
  /** Keep the resume index `<path>.idx` beside the file (default true); false reads the whole file on a fresh resume. */
  index?: boolean
  /** Reads bytes [from, to) of the journal or its index; replace it to count or trace reads. Default: positioned reads with `node:fs`. */
  readRange?: (path: string, from: number, to: number) => Promise<Uint8Array>
}

/**
 * A conversation journal in a JSONL file: one `begin`, `turn` or `halt`
 * record per line, several runs per file allowed. Every append is written
 * with one `write` and made durable with `fdatasync` before it resolves, so
 * an acknowledged turn survives `kill -9` and power loss. A crash mid-write
 * leaves at most one torn last line (no trailing newline); it was never
 * acknowledged, so it is ignored and cut off when the file is next opened.
 *
 * Beside the file it keeps a resume index, `<path>.idx` (run → byte ranges of
 * its lines), so a fresh instance resuming one run reads that run's lines, not
 * the whole file. The index is a hint, checked against what it points at and
 * rebuilt from a full scan when missing, stale or wrong; `{ index: false }`
 * turns it off.
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
  private readonly useIndex: boolean
  private readonly read: ReadRange
  private readonly indexFile: IndexAppender
  /**
   * Where every line of the first `scanned` bytes lies, by run; `undefined`
   * until the first read (and after a failure or `close`), so the next
   * operation starts again from the index or the file.
   */
  private positions: Map<string, IndexedLine[]> | undefined
  /** Runs whose every record up to `scanned` has been applied; others are read through `positions` on demand. */
  private loaded = new Map<string, ConversationJournalEntry>()
  /** Bytes of complete lines accounted for: a reload reads only what follows. */
  private scanned = 0
  /** Complete lines accounted for (for error messages naming a line). */
  private lines = 0
  private handle: FileHandle | undefined
  private tail: Promise<unknown> = Promise.resolve()

  constructor(path: string, options: FileConversationJournalOptions = {}) {
    if (typeof path !== 'string' || path === '') throw new ValidationError('FileConversationJournal: expected a file path, e.g. ".agent-runtime/journal.jsonl".')
    this.path = path
    this.useIndex = options.index ?? true
    this.read = options.readRange ?? readFileRange
    this.indexFile = new IndexAppender(`${path}.idx`)
  }

  /** Reads what was appended since the last read, so a run written by an earlier process is seen. */
  async loadRun(runId: string): Promise<ConversationJournalEntry | undefined> {
    assertRunId(runId)
    return this.exclusive(async () => {
      await this.reload()
      const entry = await this.entryOf(runId)
      return entry ? cloneJson(entry) : undefined
    })
  }

  async beginRun(runId: string, startedAt: string): Promise<void> {
    assertRunId(runId)
    return this.exclusive(async () => {
      const existing = await this.state(runId)
      if (existing) {
        if (existing.startedAt !== startedAt) throw startedAtMismatchError(runId, existing.startedAt, startedAt)
        return
      }
      await this.write({ type: 'begin', runId, startedAt })
      this.loaded.set(runId, { runId, startedAt, turns: [] })
    })
  }

  async appendTurn(runId: string, turn: ConversationTurn): Promise<void> {
    assertTurn(runId, turn)
    return this.exclusive(async () => {
      const entry = await this.state(runId)
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
      const entry = await this.state(runId)
      if (!entry) throw unknownRunError(runId, 'halt')
      if (entry.halted) throw haltedRunError(runId, 'halt', entry.halted)
      await this.write({ type: 'halt', runId, halt, endedAt })
      entry.halted = cloneJson(halt)
      entry.endedAt = endedAt
    })
  }

  /** Closes the file handles; the journal reopens them on next use. */
  async close(): Promise<void> {
    return this.exclusive(async () => {
      const handle = this.handle
      this.handle = undefined
      this.forget()
      await this.indexFile.close()
      await handle?.close()
    })
  }

  // Serialises operations so the in-memory view and the file never diverge.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => undefined)
    return run
  }

  private async state(runId: string): Promise<ConversationJournalEntry | undefined> {
    if (!this.positions) await this.reload()
    return this.entryOf(runId)
  }

  private forget(): void {
    this.positions = undefined
    this.loaded = new Map()
    this.scanned = 0
    this.lines = 0
  }

  /**
   * Brings the view up to date with the file. A fresh view starts from the
   * index (its entries cover a prefix of the file; only the bytes after it are
   * read), or from byte 0 when there is no usable index. Afterwards only the
   * bytes after `scanned` are read (records are only ever appended); a file
   * that shrank is read from the start.
   */
  private async reload(fullScan = false): Promise<void> {
    const size = await fileSize(this.path)
    if (this.positions && size < this.scanned) this.forget()
    if (!this.positions) {
      this.forget()
      this.positions = new Map()
      const index = this.useIndex && !fullScan ? await loadIndex(`${this.path}.idx`, this.read) : undefined
      // An index covering more than the file belongs to another (replaced) file.
      if (index && index.end <= size) {
        for (const line of index.lines) this.position(line)
        this.scanned = index.end
        this.lines = index.lines.length
      }
    }
    if (size > this.scanned || this.scanned === 0) await this.scanTail(size)
  }

  /** Reads, indexes and applies the complete lines in [scanned, size); cuts a torn last line. */
  private async scanTail(size: number): Promise<void> {
    const from = this.scanned
    const bytes = from >= size ? Buffer.alloc(0) : Buffer.from(await this.read(this.path, from, size))
    const complete = bytes.lastIndexOf(0x0a) + 1
    if (complete < bytes.length) {
      // A torn tail from a crash mid-write: never acknowledged, so drop it
      // before anything is appended after it.
      await this.closeHandle()
      await truncate(this.path, from + complete)
    }
    // Parse everything first, so a damaged line changes nothing.
    const parsed: { line: IndexedLine; record?: JournalRecord }[] = []
    for (let start = 0, n = this.lines + 1; start < complete; n++) {
      const nl = bytes.indexOf(0x0a, start)
      const text = bytes.toString('utf8', start, nl)
      const line: IndexedLine = { runId: '', offset: from + start, length: nl + 1 - start }
      let record: JournalRecord | undefined
      if (text.trim() !== '') {
        try {
          record = JSON.parse(text) as JournalRecord
        } catch (err) {
          throw new RuntimeRunStateError(
            `FileConversationJournal: line ${n} of ${this.path} is not valid JSON although it is complete; the file was edited or damaged. Restore it from a copy or start a new journal file.`,
            { cause: err },
          )
        }
        line.runId = record.runId
      }
      parsed.push({ line, record })
      start = nl + 1
    }
    // A run is complete in memory if it was loaded, or if its first line is in this tail
    // (it has no position before it): apply before recording this tail's positions.
    for (const { record } of parsed) {
      if (record && (this.loaded.has(record.runId) || !this.positions!.has(record.runId))) applyRecord(this.loaded, record)
    }
    for (const { line } of parsed) this.position(line)
    this.scanned = from + complete
    this.lines += parsed.length
    if (!this.useIndex) return
    if (from === 0) {
      // Started without a usable index: replace whatever is there (unless there is nothing to say).
      if (parsed.length === 0 && (await fileSize(`${this.path}.idx`)) === 0) return
      await this.indexFile.close()
      await rewriteIndex(`${this.path}.idx`, parsed.map((p) => p.line))
      this.indexFile.reset()
    } else {
      await this.indexFile.append(
        parsed.map((p) => p.line),
        false,
      )
    }
  }

  /** The run as of `scanned`: from memory, or read through its index entries (a full re-scan when they do not match the file). */
  private async entryOf(runId: string): Promise<ConversationJournalEntry | undefined> {
    const known = this.loaded.get(runId)
    if (known) return known
    const at = this.positions!.get(runId)
    if (!at) return undefined
    const records = await readRunRecords(this.path, runId, at, this.read)
    const entry = records && entryFromRecords(runId, records)
    if (entry === undefined && records) return undefined
    if (!entry) {
      // The index does not describe this file: scan it whole and rebuild the index.
      this.forget()
      await this.reload(true)
      return this.loaded.get(runId)
    }
    this.loaded.set(runId, entry)
    return entry
  }

  private position(line: IndexedLine): void {
    const at = this.positions!.get(line.runId)
    if (at) at.push(line)
    else this.positions!.set(line.runId, [line])
  }

  private async write(record: JournalRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`
    try {
      if (!this.handle) {
        const created = !(await exists(this.path))
        this.handle = await open(this.path, 'a')
        if (created) await syncDirectory(dirname(this.path))
      }
      await this.handle.write(line)
      await this.handle.datasync()
    } catch (err) {
      // The write may have left a partial line; forget the view so the next
      // operation re-reads the file and cuts the torn tail first.
      await this.closeHandle()
      this.forget()
      throw err
    }
    // Durable: our own record is in memory, and the next reload starts after it.
    const at: IndexedLine = { runId: record.runId, offset: this.scanned, length: Buffer.byteLength(line) }
    this.position(at)
    this.scanned += at.length
    this.lines++
    // The index is written after the journal line is durable, and not synced: a crash
    // before or during it leaves the index short or torn, which the next start repairs.
    if (this.useIndex) await this.indexFile.append([at], true)
  }

  private async closeHandle(): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    await handle?.close().catch(() => undefined)
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
