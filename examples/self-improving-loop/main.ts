// Offline and deterministic: a support bot's prompt is optimised twice.
// Round 1 ships a real improvement; round 2 offers a candidate that is no
// better in truth, which the held-out gate refuses. Run from the repo root:
//   pnpm --filter @examples/self-improving-loop start
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runExample } from './self-improving-loop.js'

const runDir = await mkdtemp(join(tmpdir(), 'self-improving-loop-'))
try {
  const { fix, reword } = await runExample(runDir, (line) => process.stderr.write(`  ${line}\n`))
  for (const [title, r] of [['Round 1: fix the prompt from the judge notes', fix], ['Round 2: cosmetic rewordings only', reword]] as const) {
    console.log(`\n== ${title}`)
    console.log(`decision: ${r.decision}   held-out composite ${r.baselineComposite.toFixed(3)} -> ${r.winnerComposite.toFixed(3)} (delta ${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(3)})`)
    for (const reason of r.reasons) console.log(`  - ${reason}`)
    if (r.decision === 'ship') console.log(`shipped prompt diff:\n${r.diff}`)
    else console.log(`kept the baseline prompt (the candidate was '${r.raw.bestCandidate?.label ?? 'none'}')`)
  }
} finally {
  await rm(runDir, { recursive: true, force: true })
}
