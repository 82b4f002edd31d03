/**
 * Two participants talk over a durable file journal. The first run is cut
 * short after two turns (as if the process crashed); the second run, with
 * the same run id, resumes from the journal and finishes.
 *
 * Without a key: two scripted participants. With OPENAI_API_KEY or
 * TANGLE_API_KEY set: two real models through the default backend.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type AgentExecutionBackend,
  type ConversationStreamEvent,
  createDefaultBackend,
  defineConversation,
  runConversation,
  runConversationStream,
} from '@tangle-network/agent-runtime'
import { FileConversationJournal } from '@tangle-network/agent-runtime/conversations/node'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

const live = Boolean(process.env.OPENAI_API_KEY || process.env.TANGLE_API_KEY)

function scripted(lines: string[]): AgentExecutionBackend {
  return createScriptedBackend({
    kind: 'scripted',
    turns: lines.map((line) => [
      { type: 'text_delta' as const, text: line },
      { type: 'llm_call' as const, model: 'scripted', tokensIn: 12, tokensOut: 8, costUsd: 0.012 },
    ]),
  })
}

const participants = live
  ? [
      { name: 'Planner', backend: createDefaultBackend(process.env, { maxTokens: 120 }) },
      { name: 'Critic', backend: createDefaultBackend(process.env, { maxTokens: 120 }) },
    ]
  : [
      { name: 'Planner', backend: scripted(['Day 1: Alfama and the castle.', 'Day 2 swaps Sintra for Belém; shorter trains.', 'Final: Alfama, Belém, LX Factory.']) },
      { name: 'Critic', backend: scripted(['Day 2 in Sintra is a long trip; consider Belém.', 'Good. Add an evening in LX Factory.']) },
    ]

const conversation = defineConversation({
  participants,
  policy: {
    maxTurns: 5,
    maxCreditsCents: 50,
    haltOn: ({ lastTurn }) => (lastTurn.text.startsWith('Final:') ? { halted: true, reason: 'plan agreed' } : false),
    defaultCallPolicy: { perAttemptDeadlineMs: 60_000, maxRetries: 2 },
  },
})

const print = (e: ConversationStreamEvent) => {
  if (e.type === 'conversation_start') console.log(`start    ${e.runId} (${e.participants.join(', ')})`)
  if (e.type === 'conversation_resumed') console.log(`resumed  ${e.runId} with ${e.transcript.length} journaled turns`)
  if (e.type === 'turn_end') console.log(`turn ${e.turn.index}   ${e.turn.speaker}: ${e.turn.text.replace(/\s+/g, ' ').slice(0, 100)}`)
}

const dir = await mkdtemp(join(tmpdir(), 'conversation-example-'))
const journal = new FileConversationJournal(join(dir, 'journal.jsonl'))
const runId = 'trip_plan_1'
const seed = 'Plan a two-day trip to Lisbon. Planner proposes, Critic critiques.'
try {
  // First process: stops after two committed turns, like a crash.
  let turns = 0
  for await (const event of runConversationStream(conversation, { seed, runId, journal })) {
    print(event)
    if (event.type === 'turn_end' && ++turns === 2) break
  }
  console.log('-- interrupted; resuming with the same run id --')
  const result = await runConversation(conversation, { seed, runId, journal, onEvent: print })
  const halted = result.halted.kind === 'predicate' ? `predicate (${result.halted.reason})` : result.halted.kind
  console.log(`halted   ${halted} after ${result.turns} turns, ${result.spentCreditsCents} cents`)
} finally {
  await journal.close()
  await rm(dir, { recursive: true, force: true })
}
