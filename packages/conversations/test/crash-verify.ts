/** Checks shared by the crash tests: the journal holds the scripted run exactly. */
import type { ConversationJournalEntry } from '@tangle-network/agent-runtime-conversations'
import { expect } from 'vitest'
import type { CrashLoopResult } from './crash-harness.js'
import { ackText, expectedTexts } from './fixtures/scripted-participants.js'

/** 20 turns, indexes 0..19 once each and in order, the scripted texts, every acknowledged turn present. */
export function expectCompleteRun(entry: ConversationJournalEntry | undefined, runId: string, loop: CrashLoopResult, padChars = 0): void {
  const expected = expectedTexts(20, padChars)
  expect(loop.kills).toBeGreaterThan(0)
  expect(loop.final.lines).toContain('DONE max_turns 20')
  expect(entry?.halted).toEqual({ kind: 'max_turns', turns: 20 })
  expect(entry?.turns.map((t) => t.index)).toEqual([...Array(20).keys()])
  expect(entry?.turns.map((t) => ackText(t.text))).toEqual(expected.map(ackText))
  expect(entry?.turns.map((t) => t.turnId)).toEqual(expected.map((_, i) => `${runId}.t${i}.${i % 2 === 0 ? 'alice' : 'bob'}`))
  // The texts are deterministic, so compare startedAt too: an acknowledged turn that was lost
  // and re-run after a restart would come back with the same text but a later startedAt.
  for (const ack of loop.acks) {
    const turn = entry?.turns[ack.index]
    expect({ text: turn && ackText(turn.text), startedAt: turn?.startedAt }, `acknowledged turn ${ack.index}`).toEqual({ text: ack.text, startedAt: ack.startedAt })
  }
  // Each index is acknowledged by at most one process: a second ACK means a committed turn was run again.
  const ackedIndexes = loop.acks.map((a) => a.index)
  expect(new Set(ackedIndexes).size).toBe(ackedIndexes.length)
}
