// FileConversationJournal reads a file once and afterwards only what was
// appended to it: a resume costs what was written since, not the whole file.
// Observed through the file itself: a complete line already read is damaged
// in place, which a re-read of the whole file would report.
import { appendFile, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
import { RuntimeRunStateError } from '@tangle-network/agent-runtime-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeTurn } from './journal-conformance.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conv-file-incr-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const line = (record: unknown) => `${JSON.stringify(record)}\n`

/** Overwrites the first occurrence of `needle` with same-length garbage, leaving the file's size and line breaks as they were. */
async function damageInPlace(path: string, needle: string): Promise<void> {
  const text = await readFile(path, 'utf8')
  const at = Buffer.byteLength(text.slice(0, text.indexOf(needle)))
  const handle = await open(path, 'r+')
  await handle.write('#'.repeat(Buffer.byteLength(needle)), at)
  await handle.close()
}

describe('FileConversationJournal reads only what was appended', () => {
  it('a later load reads the appended records, not the lines it already parsed', async () => {
    const path = join(dir, 'j.jsonl')
    let body = ''
    for (const run of ['a', 'b', 'c']) {
      body += line({ type: 'begin', runId: run, startedAt: 'T0' })
      for (let i = 0; i < 50; i++) body += line({ type: 'turn', runId: run, turn: makeTurn(run, i) })
    }
    await writeFile(path, body)
    const journal = new FileConversationJournal(path)
    expect((await journal.loadRun('b'))?.turns).toHaveLength(50)

    // Another writer (an earlier process, say) appends to run b after our read.
    await appendFile(path, line({ type: 'turn', runId: 'b', turn: makeTurn('b', 50) }))
    // A line we already parsed is damaged; reading the file again from the start would throw.
    await damageInPlace(path, '"runId":"a"')
    const b = await journal.loadRun('b')
    expect(b?.turns.map((t) => t.index)).toEqual([...Array(51).keys()])
    // Our own appends continue after the bytes read, without a re-read either.
    await journal.appendTurn('b', makeTurn('b', 51))
    expect((await journal.loadRun('b'))?.turns).toHaveLength(52)
    expect((await journal.loadRun('a'))?.turns).toHaveLength(50)

    // A fresh instance reads run a's lines through the resume index, so it does see the damage.
    await expect(new FileConversationJournal(path).loadRun('a')).rejects.toBeInstanceOf(RuntimeRunStateError)
  })

  it('names the right line when an appended record is damaged', async () => {
    const path = join(dir, 'lines.jsonl')
    await writeFile(path, line({ type: 'begin', runId: 'r', startedAt: 'T0' }) + line({ type: 'turn', runId: 'r', turn: makeTurn('r', 0) }))
    const journal = new FileConversationJournal(path)
    await journal.loadRun('r')
    await journal.appendTurn('r', makeTurn('r', 1))
    await appendFile(path, line({ type: 'turn', runId: 'r', turn: makeTurn('r', 2) }) + 'not json\n')
    await expect(journal.loadRun('r')).rejects.toThrow(/line 5 of .*lines\.jsonl is not valid JSON/)
  })

  it('cuts a torn tail appended after its last read, and reads a file that shrank from the start', async () => {
    const path = join(dir, 'torn.jsonl')
    await writeFile(path, line({ type: 'begin', runId: 'r', startedAt: 'T0' }) + line({ type: 'turn', runId: 'r', turn: makeTurn('r', 0) }))
    const journal = new FileConversationJournal(path)
    await journal.loadRun('r')
    const kept = line({ type: 'turn', runId: 'r', turn: makeTurn('r', 1) })
    await appendFile(path, `${kept}{"type":"turn","runId":"r","turn":{"ind`)
    expect((await journal.loadRun('r'))?.turns.map((t) => t.index)).toEqual([0, 1])
    await journal.appendTurn('r', makeTurn('r', 2))
    const records = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { type: string })
    expect(records.map((r) => r.type)).toEqual(['begin', 'turn', 'turn', 'turn'])

    // Replaced by a shorter file (restored from a copy): read again from the start.
    await journal.close()
    const other = new FileConversationJournal(path)
    await other.loadRun('r')
    await writeFile(path, line({ type: 'begin', runId: 'r', startedAt: 'T0' }))
    expect((await other.loadRun('r'))?.turns).toEqual([])
  })
})
