import type { DefaultVerdict } from '../../contracts/loop.js'
import { summarizeHistory } from './summarize-history.js'
import type { PlannerContext } from './topology-move.js'

/** What a planning agent is told about the envelope it must write. @experimental */
export const TOPOLOGY_ENVELOPE_INSTRUCTIONS = [
  'Choose the next move of this loop. End your reply with exactly one fenced ```json block:',
  '  {"kind": "refine", "tasks": [<task>]?, "rationale": "..."}   one more attempt (without tasks: retry the root task)',
  '  {"kind": "fanout", "tasks": [<task>, ...] | "n": <count>, "rationale": "..."}   several attempts in parallel',
  '  {"kind": "select", "index": <iteration index>, "rationale": "..."}   end the loop; that iteration wins',
  '  {"kind": "stop", "rationale": "..."}   end the loop; the best valid iteration wins',
  'Optionally add "parentIndex": <iteration index> to say which attempt a refine or fanout builds on.',
  'Never name a model or harness; the loop decides where each attempt runs.',
].join('\n')

function showTask(task: unknown): string {
  if (typeof task === 'string') return task
  try {
    return JSON.stringify(task, null, 2) ?? String(task)
  } catch {
    return String(task)
  }
}

/**
 * The default planner prompt: the root task, the history summary, any
 * findings, the iteration budget ("Iterations spent: N. Remaining before the
 * hard cap: M.") and the envelope instructions.
 * @experimental
 * @example
 * const prompt = buildPlannerPrompt(ctx)
 */
export function buildPlannerPrompt<Task, Output, Verdict extends DefaultVerdict>(
  ctx: PlannerContext<Task, Output, Verdict>,
  options: { maxOutputChars?: number } = {},
): string {
  const parts = [
    'You plan the topology of an agent loop: each round you decide whether to refine, fan out, select a winner, or stop.',
    `## Task\n${showTask(ctx.task)}`,
    `## History (round ${ctx.roundIndex})\n${summarizeHistory(ctx.history, { maxOutputChars: options.maxOutputChars })}`,
  ]
  if (ctx.findings.length > 0) {
    parts.push(
      `## Findings\n${ctx.findings.map((f) => `- ${f.summary}${f.iterationIndex !== undefined ? ` (iteration #${f.iterationIndex})` : ''}`).join('\n')}`,
    )
  }
  parts.push(`Iterations spent: ${ctx.iterationsSpent}. Remaining before the hard cap: ${ctx.iterationsRemaining}.`)
  parts.push(TOPOLOGY_ENVELOPE_INSTRUCTIONS)
  return parts.join('\n\n')
}
