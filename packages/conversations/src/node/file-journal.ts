import { type FileHandle, open, readFile, stat, truncate } from 'node:fs/promises'
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
  private handle: FileHandle | undefined
  private tail: Promise<unknown> = Promise.resolve()

  constructor(path: string) {
    if (typeof path !== 'string' || path === '') throw new ValidationError('FileConversationJournal: expected a file path, e.g. ".agent-runtime/journal.jsonl".')
    this.path = path
  }

  /** Re-reads the file, so a run written by an earlier process is seen. */
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

  private async reload(): Promise<void> {
    let bytes: Buffer
    try {
      bytes = await readFile(this.path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      bytes = Buffer.alloc(0)
    }
    const complete = bytes.lastIndexOf(0x0a) + 1
    if (complete < bytes.length) {
      // A torn tail from a crash mid-write: never acknowledged, so drop it
      // before anything is appended after it.
      await this.closeHandle()
      await truncate(this.path, complete)
    }
    this.runs = parseRecords(bytes.subarray(0, complete).toString('utf8'), this.path)
  }

  private async write(record: JournalRecord): Promise<void> {
    try {
      if (!this.handle) {
        const created = !(await exists(this.path))
        this.handle = await open(this.path, 'a')
        if (created) await syncDirectory(dirname(this.path))
      }
      await this.handle.write(`${JSON.stringify(record)}\n`)
      await this.handle.datasync()
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

function parseRecords(text: string, path: string): Map<string, ConversationJournalEntry> {
  const runs = new Map<string, ConversationJournalEntry>()
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() === '') continue
    let record: JournalRecord
    try {
      record = JSON.parse(line) as JournalRecord
    } catch (err) {
      throw new RuntimeRunStateError(
        `FileConversationJournal: line ${i + 1} of ${path} is not valid JSON although it is complete; the file was edited or damaged. Restore it from a copy or start a new journal file.`,
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
  return runs
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
