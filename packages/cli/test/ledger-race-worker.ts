/** One racing process: reserves 1,000 tokens at a time against a 10,000 cap until refused; prints how many it won. */
import { openBudgetLedger } from '@tangle-network/agent-runtime-cli'

const [target, table] = process.argv.slice(2) as [string, string]
const { ledger, close } = await openBudgetLedger(target, { table })
let won = 0
for (;;) {
  const ok = await ledger.reserve({ scope: 'race', day: '2026-03-01', tokens: 1000, costUsd: 0, capTokens: 10_000 })
  if (!ok) break
  won++
}
await close()
process.stdout.write(`${won}\n`)
