import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConversation, runConversation } from '@tangle-network/agent-runtime-conversations'
import { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
import { RuntimeRunStateError, ValidationError } from '@tangle-network/agent-runtime-core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { echoBackend } from './backends.js'
import { makeTurn } from './journal-conformance.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'conv-file-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const line = (record: unknown) => `${JSON.stringify(record)}\n`

describe('FileConversationJournal', () => {
  it('writes one JSONL record per begin, turn and halt', async () => {
    const path = join(dir, 'j.jsonl')
    const journal = new FileConversationJournal(path)
    const conv = defineConversation({ participants: [{ name: 'a', backend: echoBackend('a') }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 2 } })
    await runConversation(conv, { seed: 's', runId: 'r', journal })
    await journal.close()
    const records = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    expect(records.map((r) => r.type)).toEqual(['begin', 'turn', 'turn', 'halt'])
    expect(records[1]).toMatchObject({ type: 'turn', runId: 'r', turn: { index: 0, text: 'a:1' } })
    expect(records[3]).toMatchObject({ type: 'halt', runId: 'r', halt: { kind: 'max_turns', turns: 2 } })
  })

  it('ignores a torn last line left by a crash and cuts it off before the next append', async () => {
    const path = join(dir, 'torn.jsonl')
    const torn = '{"type":"turn","runId":"r","turn":{"index":1,"text":"TORN'
    await writeFile(path, line({ type: 'begin', runId: 'r', startedAt: 'T0' }) + line({ type: 'turn', runId: 'r', turn: makeTurn('r', 0) }) + torn)
    const journal = new FileConversationJournal(path)
    expect((await journal.loadRun('r'))?.turns.map((t) => t.index)).toEqual([0])
    await journal.appendTurn('r', makeTurn('r', 1))
    await journal.close()
    const raw = await readFile(path, 'utf8')
    expect(raw).not.toContain(torn)
    expect(raw.trim().split('\n').map((l) => JSON.parse(l).type)).toEqual(['begin', 'turn', 'turn'])
    expect((await new FileConversationJournal(path).loadRun('r'))?.turns.map((t) => t.index)).toEqual([0, 1])
  })

  it('keeps the first record of a duplicated turn index when loading', async () => {
    const path = join(dir, 'dup.jsonl')
    await writeFile(
      path,
      line({ type: 'begin', runId: 'r', startedAt: 'T0' }) +
        line({ type: 'turn', runId: 'r', turn: makeTurn('r', 0, { text: 'first' }) }) +
        line({ type: 'turn', runId: 'r', turn: makeTurn('r', 0, { text: 'second' }) }) +
        line({ type: 'turn', runId: 'r', turn: makeTurn('r', 1) }),
    )
    const entry = await new FileConversationJournal(path).loadRun('r')
    expect(entry?.turns.map((t) => [t.index, t.text])).toEqual([
      [0, 'first'],
      [1, makeTurn('r', 1).text],
    ])
  })

  it('refuses a file damaged in the middle, naming the line', async () => {
    const path = join(dir, 'bad.jsonl')
    await writeFile(path, `${line({ type: 'begin', runId: 'r', startedAt: 'T0' })}{not json}\n${line({ type: 'halt', runId: 'r', halt: { kind: 'abort' }, endedAt: 'T1' })}`)
    const err = await new FileConversationJournal(path).loadRun('r').catch((e) => e)
    expect(err).toBeInstanceOf(RuntimeRunStateError)
    expect(err.message).toBe(
      `FileConversationJournal: line 2 of ${path} is not valid JSON although it is complete; the file was edited or damaged. Restore it from a copy or start a new journal file.`,
    )
  })

  it('sees runs appended by another instance on loadRun', async () => {
    const path = join(dir, 'shared.jsonl')
    const writer = new FileConversationJournal(path)
    const reader = new FileConversationJournal(path)
    expect(await reader.loadRun('r')).toBeUndefined()
    await writer.beginRun('r', 'T0')
    await writer.appendTurn('r', makeTurn('r', 0))
    await appendFile(path, '')
    expect((await reader.loadRun('r'))?.turns).toHaveLength(1)
    await writer.close()
  })

  it('requires a path', () => {
    expect(() => new FileConversationJournal('')).toThrow(ValidationError)
  })
})
