/** Checks shared by the crash tests: the journal holds the scripted run exactly. */
import type { ConversationJournalEntry } from '@tangle-network/agent-runtime-conversations'
import { expect } from 'vitest'
import type { CrashLoopResult } from './crash-harness.js'
import { expectedTexts } from './fixtures/scripted-participants.js'

/** 20 turns, indexes 0..19 once each and in order, the scripted texts, every acknowledged turn present. */
export function expectCompleteRun(entry: ConversationJournalEntry | undefined, runId: string, loop: CrashLoopResult): void {
  const expected = expectedTexts(20)
  expect(loop.kills).toBeGreaterThan(0)
  expect(loop.final.lines).toContain('DONE max_turns 20')
  expect(entry?.halted).toEqual({ kind: 'max_turns', turns: 20 })
  expect(entry?.turns.map((t) => t.index)).toEqual([...Array(20).keys()])
  expect(entry?.turns.map((t) => t.text)).toEqual(expected)
  expect(entry?.turns.map((t) => t.turnId)).toEqual(expected.map((_, i) => `${runId}.t${i}.${i % 2 === 0 ? 'alice' : 'bob'}`))
  for (const ack of loop.acks) expect(entry?.turns[ack.index]?.text).toBe(ack.text)
}
