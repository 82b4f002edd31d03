// Winner strategies on hand-made iterations, where score, diff size and
// readiness disagree (with the real validator they mostly agree; see test/coder-delegate.test.ts).
import type { Iteration } from '@tangle-network/agent-runtime-core/loops'
import type { CoderOutput, CoderTask, CoderVerdict } from '@tangle-network/agent-runtime-core/profiles'
import { type CoderReview, selectCoderWinner } from '@tangle-network/agent-runtime-mcp'
import { describe, expect, it } from 'vitest'

type It = Iteration<CoderTask, CoderOutput, CoderVerdict>

function iteration(index: number, score: number, diffLines: number, extra: Partial<It> = {}): It {
  const output: CoderOutput = {
    branch: `b${index}`,
    patch: `patch ${index}`,
    testResult: { passed: true, output: '' },
    typecheckResult: { passed: true, output: '' },
    diffStats: { filesChanged: 1, insertions: diffLines, deletions: 0 },
  }
  const verdict = { valid: true, score, scores: {}, notes: 'passed', failedChecks: [], touchedPaths: ['a.ts'], diffLines } as unknown as CoderVerdict
  return {
    index,
    roundIndex: 0,
    task: { goal: 'g', repoRoot: '/r' },
    agentRunName: `coder:h${index}`,
    output,
    verdict,
    events: [],
    startedAt: 0,
    endedAt: 0,
    costUsd: 0,
    tokenUsage: { input: 0, output: 0 },
    ...extra,
  }
}

// #0: mid score, big diff. #1: best score, mid diff. #2: low score, smallest diff. #3: invalid, best on everything.
const pool = [
  iteration(0, 0.8, 30),
  iteration(1, 0.95, 10),
  iteration(2, 0.7, 2),
  iteration(3, 1, 1, { verdict: { valid: false, score: 1, notes: 'secret-path floor: .env', diffLines: 1 } as unknown as CoderVerdict }),
]

describe('selectCoderWinner', () => {
  it('ranks valid candidates by each strategy and never picks an invalid one', async () => {
    const pick = async (strategy: 'highest-score' | 'smallest-diff' | 'highest-readiness' | 'first-approved') =>
      (await selectCoderWinner(pool, { strategy })).winner?.index
    expect(await pick('highest-score')).toBe(1)
    expect(await pick('smallest-diff')).toBe(2)
    expect(await pick('highest-readiness')).toBe(1) // no reviewer: readiness falls back to the score
    expect(await pick('first-approved')).toBe(0)
    const { rejected } = await selectCoderWinner(pool, { strategy: 'highest-score' })
    expect(rejected).toEqual([{ iterationIndex: 3, agentRunName: 'coder:h3', reason: 'invalid: secret-path floor: .env' }])
  })

  it('uses reviewer readiness, reviews lazily for first-approved, and fails closed on a contradictory review', async () => {
    const readiness: Record<number, CoderReview> = {
      0: { approved: true, recommendation: 'ship', readiness: 0.9 },
      1: { approved: true, recommendation: 'reject', readiness: 1 }, // approved flag but a reject: not approved
      2: { approved: true, recommendation: 'approve-with-nits', readiness: 0.5 },
    }
    const seen: number[] = []
    const reviewer = (output: CoderOutput) => {
      const index = Number(output.branch.slice(1))
      seen.push(index)
      return readiness[index]
    }
    const ready = await selectCoderWinner(pool, { strategy: 'highest-readiness', reviewer })
    expect(ready.winner?.index).toBe(0)
    expect(ready.review).toEqual(readiness[0])
    expect(ready.rejected.map((r) => [r.iterationIndex, r.reason])).toEqual([
      [1, 'not approved by review (reject)'],
      [3, 'invalid: secret-path floor: .env'],
    ])
    expect(seen.sort()).toEqual([0, 1, 2])

    seen.length = 0
    const first = await selectCoderWinner(pool, { strategy: 'first-approved', reviewer })
    expect(first.winner?.index).toBe(0)
    expect(seen).toEqual([0])
  })

  it('returns no winner when nothing qualifies', async () => {
    const none = await selectCoderWinner([pool[3], iteration(4, 0.9, 3, { error: 'sandbox crashed', output: undefined })], { strategy: 'highest-score' })
    expect(none.winner).toBeUndefined()
    expect(none.rejected.map((r) => r.reason)).toEqual(['invalid: secret-path floor: .env', 'failed: sandbox crashed'])
  })
})
