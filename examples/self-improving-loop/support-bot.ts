/**
 * The offline world of the example: a support bot whose scripted model follows
 * only the instructions its prompt contains, a policy judge, and a scripted
 * reflection model that turns the judge's notes into instructions.
 */
import { deriveSeed, type Judge, type Scenario, seededRng } from '@tangle-network/agent-runtime/improvement'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

/** What each kind of ticket needs, the instruction that teaches it, and the judge's note when it is missing. */
export const POLICIES = {
  ticket: { instruction: 'Always quote the ticket id.', note: 'reply does not quote the ticket id' },
  amount: { instruction: 'State every amount in USD.', note: 'amount not stated in USD' },
  outage: { instruction: 'Apologise first when a service is down.', note: 'no apology for the outage' },
} as const
export type Kind = keyof typeof POLICIES

export interface Ticket extends Scenario {
  kind: Kind
}

/** `n` tickets cycling through the kinds, ids `${prefix}-${i}-${kind}`. */
export function tickets(prefix: string, n: number): Ticket[] {
  const kinds = Object.keys(POLICIES) as Kind[]
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}-${kinds[i % kinds.length]}`, kind: kinds[i % kinds.length]! }))
}

export const BASELINE_PROMPT = `You are the support assistant of Acme Cloud.\n${POLICIES.outage.instruction}\nAnswer in two sentences.`

/**
 * A rule-following model: it meets a ticket's policy 95 % of the time when the
 * prompt carries the instruction and 20 % of the time by chance when it does
 * not. Its sampling depends on the prompt text and the cell seed, like a real
 * model's, so a reworded prompt gets different luck but the same accuracy.
 */
export function supportModel(prompt: string, ticket: Ticket, cellSeed: number): { complied: boolean; reply: string } {
  const rng = seededRng(deriveSeed(cellSeed, prompt))
  const complied = rng() < (prompt.includes(POLICIES[ticket.kind].instruction) ? 0.95 : 0.2)
  return { complied, reply: `[${ticket.id}] ${complied ? 'handled per policy' : 'generic answer'}` }
}

/** Scores 1 when the reply meets the ticket's policy, else 0 with the note the reflection model reads. */
export const policyJudge: Judge<Ticket, { complied: boolean; reply: string }> = {
  name: 'policy',
  score: (out, ticket) => (out.complied ? 1 : { score: 0, notes: POLICIES[ticket.kind].note }),
}

/**
 * A scripted reflection model over the scripted backend. With `mode: 'fix'` it
 * reads the failing cases' notes and proposes the instructions that address
 * them; with `mode: 'reword'` it proposes cosmetic rewordings that change no
 * policy (candidates that are no better in truth).
 */
export function reflectionModel(mode: 'fix' | 'reword') {
  return createScriptedBackend({
    kind: 'scripted-reflector',
    turns: (input) => {
      const user = input.messages?.find((m) => m.role === 'user')?.content ?? ''
      const current = /"""\n([\s\S]*?)\n"""/.exec(user)?.[1] ?? ''
      const insertAfterFirstLine = (extra: string[]) => {
        const [first, ...rest] = current.split('\n')
        return [first, ...extra, ...rest].join('\n')
      }
      const proposals =
        mode === 'fix'
          ? (() => {
              const missing = (Object.keys(POLICIES) as Kind[]).filter((k) => user.includes(POLICIES[k].note) && !current.includes(POLICIES[k].instruction))
              return [
                { label: 'add the missing policies', primitive: 'strengthen an imperative', rationale: `failing cases say: ${missing.map((k) => POLICIES[k].note).join('; ')}`, payload: insertAfterFirstLine(missing.map((k) => POLICIES[k].instruction)) },
                { label: 'add the first missing policy', primitive: 'strengthen an imperative', rationale: `failing cases say: ${POLICIES[missing[0]!].note}`, payload: insertAfterFirstLine([POLICIES[missing[0]!].instruction]) },
              ]
            })()
          : ['Be warm and friendly.', 'Keep replies short.', 'Use plain words.', 'Thank the customer for writing.'].map((line) => ({
              label: `reword: ${line}`,
              primitive: 'use domain nouns',
              rationale: 'tone polish',
              payload: `${current}\n${line}`,
            }))
      return [
        { type: 'llm_call', model: 'scripted-reflector', tokensIn: 800, tokensOut: 200, costUsd: 0.002 },
        { type: 'text_delta', text: JSON.stringify({ proposals }) },
      ]
    },
  })
}
