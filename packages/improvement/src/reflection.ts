/** One call to a reflection model through an AgentExecutionBackend, and parsing its JSON answer. */
import { type AgentExecutionBackend, type Clock, isoNow } from '@tangle-network/agent-runtime-core'
import { z } from 'zod'
import type { Usage } from './types.js'

/** The JSON a reflection model must answer with. */
const proposalsSchema = z.object({
  proposals: z.array(
    z.object({
      label: z.string().min(1),
      rationale: z.string().default(''),
      primitive: z.string().optional(),
      payload: z.string(),
    }),
  ),
})

/** A parsed reflection proposal. */
export type ReflectionProposal = z.infer<typeof proposalsSchema>['proposals'][number]

/** Streams one reflection turn and returns its text; usage goes to the ledger; a backend error throws. */
export async function callReflectionModel(
  llm: AgentExecutionBackend,
  call: { system: string; user: string; model?: string; signal: AbortSignal; recordUsage(u: Partial<Usage>): void; now: Clock },
): Promise<string> {
  const task = { id: 'improvement-reflection', intent: 'improvement.reflect' }
  const at = isoNow(call.now)
  const session = { id: 'improvement-reflection', backend: llm.kind, status: 'active' as const, createdAt: at, updatedAt: at }
  const input = {
    task,
    messages: [
      { role: 'system' as const, content: call.system },
      { role: 'user' as const, content: call.user },
    ],
    ...(call.model ? { inputs: { model: call.model } } : {}),
  }
  let text = ''
  let finalText: string | undefined
  for await (const event of llm.stream(input, { task, session, signal: call.signal })) {
    if (event.type === 'text_delta') text += event.text
    else if (event.type === 'final' && typeof event.text === 'string') finalText = event.text
    else if (event.type === 'llm_call') call.recordUsage({ tokensIn: event.tokensIn, tokensOut: event.tokensOut, costUsd: event.costUsd })
    else if (event.type === 'backend_error' && !event.recoverable) throw new Error(`reflection backend '${llm.kind}' failed: ${event.message}`)
  }
  return finalText ?? text
}

/** Parses `{"proposals": [...]}` from model text (bare JSON, a fenced block, or the outermost braces). */
export function parseProposals(text: string): { ok: true; proposals: ReflectionProposal[] } | { ok: false; error: string } {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)?.[1]
  const braces = text.includes('{') ? text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1) : ''
  for (const candidate of [text, fenced, braces]) {
    if (!candidate) continue
    let json: unknown
    try {
      json = JSON.parse(candidate)
    } catch {
      continue
    }
    const parsed = proposalsSchema.safeParse(json)
    if (parsed.success) return { ok: true, proposals: parsed.data.proposals }
    return { ok: false, error: `reflection output is not {"proposals": [{label, rationale, payload}]}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` }
  }
  return { ok: false, error: `reflection output has no JSON object: ${text.slice(0, 120)}` }
}
