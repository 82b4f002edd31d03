import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { runExample } from '../self-improving-loop.js'
import { BASELINE_PROMPT, POLICIES } from '../support-bot.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/self-improving-loop', () => {
  it('ships the prompt fix the judge notes point to, and holds a rewording that only looked better on training', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sil-test-'))
    try {
      const { fix, reword } = await runExample(dir)
      expect(fix.decision).toBe('ship')
      expect(fix.prompt).toContain(POLICIES.ticket.instruction)
      expect(fix.prompt).toContain(POLICIES.amount.instruction)
      expect(fix.prompt).not.toBe(BASELINE_PROMPT)
      expect(fix.winnerComposite - fix.baselineComposite).toBeGreaterThan(0.3)
      expect(fix.reasons[1]).toMatch(/ships: one-sided 97\.50 % lower bound \+0\.\d+, exact McNemar test/)
      // Round 2: a cosmetic candidate beat the incumbent on the selection items by luck, reached the gate, and was held.
      const gen = reword.raw.generations[0]!
      expect(gen.candidates.some((c) => c.promoted)).toBe(true)
      expect(reword.raw.bestCandidate!.trainComposite).toBeGreaterThan(reword.raw.baselineCampaign.composite)
      expect(reword.decision).toBe('hold')
      expect(reword.prompt).toBe(fix.prompt)
      expect(reword.improved).toBe(false)
      expect(reword.reasons[1]).toMatch(/^'reword: .*' on 60 paired held-out cells: .*holds: the lower bound does not clear minDelta 0\.000/)
      // Deterministic: the same seeds give the same run.
      const again = await runExample(join(dir, 'again'))
      expect(again.fix.reasons).toEqual(fix.reasons)
      expect(again.reword.reasons).toEqual(reword.reasons)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('main.ts prints both decisions with their explanations', { timeout: 120_000 }, async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/self-improving-loop/main.ts'], { cwd: ROOT })
    expect(stdout).toMatch(/== Round 1: fix the prompt from the judge notes\ndecision: ship {3}held-out composite 0\.417 -> 0\.933/)
    expect(stdout).toMatch(/\+ Always quote the ticket id\.\n\+ State every amount in USD\./)
    expect(stdout).toMatch(/== Round 2: cosmetic rewordings only\ndecision: hold/)
    expect(stdout).toMatch(/kept the baseline prompt \(the candidate was 'reword: /)
    expect(stderr).toMatch(/gate 'held-out': ship[\s\S]*gate 'held-out': hold/)
  })
})
