/** One racing process: runLoop with a budget breaker over a shared ledger, 1,000 tokens an iteration, until the breaker halts it; prints its iteration count. */
import { openBudgetLedger } from '@tangle-network/agent-runtime-cli'
import { createBudgetBreaker, type SandboxEvent } from '@tangle-network/agent-runtime-core'
import { createRefineDriver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'

const [target, table, cap] = process.argv.slice(2) as [string, string, string]
const { ledger, close } = await openBudgetLedger(target, { table })
const breaker = createBudgetBreaker({ ledger, dailyTokenCap: Number(cap), clock: () => Date.UTC(2026, 2, 1, 12), scope: 'loop-race' })
const usage: SandboxEvent = { type: 'llm_call', data: { tokensIn: 1000, tokensOut: 0, costUsd: 0 } }
const res = await runLoop({
  driver: createRefineDriver<string, number>({ maxIterations: 40 }),
  agentRun: { name: 'w', profile: { name: 'p' }, taskToPrompt: (t: string) => t },
  output: { parse: (events: SandboxEvent[]) => events.length },
  validator: { validate: () => ({ valid: false, score: 0 }) },
  task: 't',
  breaker,
  maxIterations: 40,
  ctx: { sandboxClient: createScriptedSandboxClient({ respond: () => [usage] }) },
})
await close()
process.stdout.write(`${JSON.stringify({ iterations: res.iterations.length, decision: res.decision, limit: res.budget?.limit })}\n`)
