/**
 * agent-into-reviewer: one runtime's stream piped into a reviewer agent. The
 * writer's `runAgentTaskStream` is read event by event (deltas shown live);
 * its final text becomes the reviewer's input; the reviewer's answer is
 * parsed with zod (model output is untrusted); rejected drafts go back to the
 * writer with the review notes, up to three rounds.
 */
import { type AgentExecutionBackend, type AgentTaskSpec, runAgentTaskStream } from '@tangle-network/agent-runtime'
import { z } from 'zod'
import { createReviewerBackend, createWriterBackend } from './agents.js'

const Verdict = z.object({ approved: z.boolean(), problems: z.array(z.string()), score: z.number().min(0).max(1) })

const fixed = { now: () => Date.parse('2026-03-01T12:00:00Z') }
let sessions = 0
const newId = () => `session-${++sessions}`

/** Runs one agent turn and returns its final text; prints deltas as they stream when `live`. */
async function runTurn(backend: AgentExecutionBackend, task: AgentTaskSpec, message: string, live: boolean): Promise<{ text: string; costUsd: number }> {
  let costUsd = 0
  for await (const event of runAgentTaskStream({ task, backend, input: { task, message }, newId, ...fixed })) {
    if (event.type === 'text_delta' && live) process.stdout.write(event.text)
    if (event.type === 'llm_call') costUsd += event.costUsd ?? 0
    if (event.type === 'final') {
      if (event.status !== 'completed') throw new Error(`${task.id} ended ${event.status}: ${event.error?.message ?? event.reason ?? ''}`)
      return { text: event.text ?? '', costUsd }
    }
  }
  throw new Error(`${task.id} ended without a final event`)
}

const writer = createWriterBackend()
const reviewer = createReviewerBackend()
const writeTask: AgentTaskSpec = { id: 'release-note', intent: 'write a release note' }
const reviewTask: AgentTaskSpec = { id: 'release-note-review', intent: 'review a release note' }

let message = 'Write a one-line release note for the retry change.'
let totalCost = 0
for (let round = 1; round <= 3; round++) {
  process.stdout.write(`round ${round} writer: `)
  const draft = await runTurn(writer, writeTask, message, true)
  process.stdout.write('\n')
  const review = await runTurn(reviewer, reviewTask, `Review this release note.\n<draft>${draft.text}</draft>`, false)
  totalCost += draft.costUsd + review.costUsd
  const parsed = Verdict.safeParse(JSON.parse(review.text))
  if (!parsed.success) throw new Error(`reviewer answered an invalid verdict: ${parsed.error.message}`)
  const verdict = parsed.data
  console.log(`round ${round} reviewer: ${verdict.approved ? 'approved' : 'rejected'} · score ${verdict.score.toFixed(2)}${verdict.problems.length ? ` · ${verdict.problems.join('; ')}` : ''}`)
  if (verdict.approved) {
    console.log(`shipped after ${round} rounds · cost $${totalCost.toFixed(4)}`)
    process.exit(0)
  }
  message = `Revise your release note.\n<draft>${draft.text}</draft>\nReview notes:\n- ${verdict.problems.join('\n- ')}`
}
console.log('not approved after 3 rounds: escalate to a human')
process.exitCode = 1
