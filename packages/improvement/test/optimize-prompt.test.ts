import { existsSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createMemoryCampaignStorage, optimizePrompt, selfImproveLoopRunner } from '@tangle-network/agent-runtime/improvement'
import { afterEach, describe, expect, it } from 'vitest'
import { qualityJudge, reflectionBackend, scenarios, tempDir } from './helpers.js'

const BASELINE = 'You answer questions.'
const BETTER = 'You answer questions. Always cite your sources.'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

/** A user's own scenario type: a plain interface, no index signature. */
interface SupportCase {
  id: string
  question: string
}
const cases = (prefix: string, n: number): SupportCase[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, question: `q${i}` }))

describe('optimizePrompt (reference tests)', () => {
  it('keeps the baseline (identity) when no candidate lifts the score', async () => {
    const runDir = await tempDir('identity')
    dirs.push(runDir)
    const result = await optimizePrompt({
      baselinePrompt: BASELINE,
      // The prompt does not matter: every candidate scores the same as the baseline.
      runWithPrompt: () => ({ quality: 0.6 }),
      scenarios: scenarios('train', 6),
      holdoutScenarios: scenarios('holdout', 8),
      judges: [qualityJudge],
      runDir,
      reflection: { llm: reflectionBackend([{ label: 'cite', payload: BETTER }]) },
      maxGenerations: 1,
    })
    expect(result.prompt).toBe(BASELINE)
    expect(result.improved).toBe(false)
    expect(result.decision).toBe('hold')
    expect(result.diff).toBe('')
    expect(result.delta).toBe(0)
    expect(result.baselineComposite).toBeCloseTo(0.6)
    expect(result.reasons.join(' ')).toMatch(/no candidate beat the baseline on the training scenarios/)
    // The default storage is JSON lines under runDir.
    expect(existsSync(join(runDir, 'cells.jsonl'))).toBe(true)
    expect(readFileSync(join(runDir, 'cells.jsonl'), 'utf8').trim().split('\n').length).toBe(6 + 6 + 8)
  })

  it('ships a candidate scoring 0.9 against a baseline at 0.4, with the gate reasons and the diff', async () => {
    const result = await optimizePrompt({
      baselinePrompt: BASELINE,
      runWithPrompt: (prompt) => ({ quality: prompt.includes('cite your sources') ? 0.9 : 0.4 }),
      scenarios: scenarios('train', 6),
      holdoutScenarios: scenarios('holdout', 8),
      judges: [qualityJudge],
      runDir: 'unused',
      storage: createMemoryCampaignStorage(),
      reflection: { llm: reflectionBackend([{ label: 'cite', payload: BETTER, rationale: 'answers lacked sources' }]) },
      maxGenerations: 1,
    })
    expect(result.decision).toBe('ship')
    expect(result.prompt).toBe(BETTER)
    expect(result.improved).toBe(true)
    expect(result.baselineComposite).toBeCloseTo(0.4)
    expect(result.winnerComposite).toBeCloseTo(0.9)
    expect(result.delta).toBeCloseTo(0.5)
    expect(result.rationale).toBe('answers lacked sources')
    expect(result.diff).toBe('- You answer questions.\n+ You answer questions. Always cite your sources.')
    expect(result.reasons[0]).toMatch(/^Ship 'cite'/)
    expect(result.reasons[1]).toMatch(/8 paired held-out cells: mean 0\.400 → 0\.900 \(\+0\.500\).*exact sign test \(8 better, 0 worse/)
    expect(result.raw.usage.costUsd).toBeCloseTo(0.01)
  })

  it('holds a candidate that improves on training but falls short on the held-out scenarios', async () => {
    const result = await optimizePrompt({
      baselinePrompt: BASELINE,
      runWithPrompt: (prompt, scenario) => ({ quality: prompt === BETTER && scenario.id.startsWith('train') ? 0.9 : 0.5 }),
      scenarios: scenarios('train', 4),
      holdoutScenarios: scenarios('holdout', 10),
      judges: [qualityJudge],
      runDir: 'unused',
      storage: createMemoryCampaignStorage(),
      reflection: { llm: reflectionBackend([{ label: 'overfit', payload: BETTER }]) },
      maxGenerations: 1,
    })
    expect(result.decision).toBe('hold')
    expect(result.prompt).toBe(BASELINE)
    expect(result.raw.bestCandidate?.label).toBe('overfit')
    expect(result.reasons.join('\n')).toMatch(/holds: the lower bound does not clear minDelta 0\.000/)
  })

  it('throws ConfigError for missing driver and reflection, empty scenario sets, and overlapping sets', async () => {
    const base = {
      baselinePrompt: BASELINE,
      runWithPrompt: () => ({ quality: 1 }),
      scenarios: scenarios('train', 2),
      holdoutScenarios: scenarios('holdout', 2),
      judges: [qualityJudge],
      runDir: 'unused',
      storage: createMemoryCampaignStorage(),
      reflection: { llm: reflectionBackend([]) },
    }
    await expect(optimizePrompt({ ...base, reflection: undefined })).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/reflection.*or a `driver`/) })
    await expect(optimizePrompt({ ...base, scenarios: [] })).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/`scenarios` is empty/) })
    await expect(optimizePrompt({ ...base, holdoutScenarios: [] })).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/`holdoutScenarios` is empty/) })
    await expect(optimizePrompt({ ...base, judges: [] })).rejects.toMatchObject({ code: 'config' })
    await expect(optimizePrompt({ ...base, holdoutScenarios: scenarios('train', 1) })).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/train-0 are in both/) })
    await expect(optimizePrompt({ ...base, storage: undefined, runDir: '' })).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/runDir/) })
    await expect(optimizePrompt({ ...base, autoOnPromote: 'pr' })).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/promptFile/) })
    // A driver that hands back a non-string surface which then wins the gate.
    const numeric = {
      ...base,
      runWithPrompt: (p: unknown) => ({ quality: typeof p === 'string' ? 0.4 : 0.9 }),
      scenarios: scenarios('train', 6),
      holdoutScenarios: scenarios('holdout', 8),
      driver: { kind: 'bad', propose: async () => [{ surface: 42 as unknown as string, label: 'x', rationale: '' }] },
      reflection: undefined,
      maxGenerations: 1,
    }
    await expect(optimizePrompt(numeric)).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/non-string surface/) })
  })

  it('selfImproveLoopRunner runs optimizePrompt as a delegated runner and honours the abort signal', async () => {
    const options = {
      baselinePrompt: BASELINE,
      runWithPrompt: (prompt: string) => ({ quality: prompt.includes('cite your sources') ? 0.9 : 0.4 }),
      scenarios: scenarios('train', 6),
      holdoutScenarios: scenarios('holdout', 8),
      judges: [qualityJudge],
      runDir: 'unused',
      reflection: { llm: reflectionBackend([{ label: 'cite', payload: BETTER }]) },
      maxGenerations: 1,
    }
    const runner = selfImproveLoopRunner({ ...options, storage: createMemoryCampaignStorage() })
    const shipped = await runner(new AbortController().signal)
    expect(shipped).toMatchObject({ decision: 'ship', prompt: BETTER })
    const aborted = new AbortController()
    aborted.abort()
    const held = await selfImproveLoopRunner({ ...options, storage: createMemoryCampaignStorage() })(aborted.signal)
    expect(held.prompt).toBe(BASELINE)
    expect(held.reasons.join(' ')).toMatch(/did not finish every training cell/)
  })

  it('stops at the budget cap and keeps the baseline, with the spend in the ledger', async () => {
    let cells = 0
    const result = await optimizePrompt<SupportCase, { quality: number }>({
      baselinePrompt: BASELINE,
      runWithPrompt: (prompt, c, ctx) => {
        cells++
        ctx.recordUsage({ tokensIn: 1000, tokensOut: 100, costUsd: 0.05 })
        return { quality: prompt.includes('cite') && c.question ? 0.9 : 0.4 }
      },
      scenarios: cases('train', 6),
      holdoutScenarios: cases('holdout', 8),
      judges: [qualityJudge],
      runDir: 'unused',
      storage: createMemoryCampaignStorage(),
      reflection: { llm: reflectionBackend([{ label: 'cite', payload: BETTER }]) },
      maxConcurrency: 1,
      budgetUsd: 0.4,
    })
    expect(result.decision).toBe('hold')
    expect(result.prompt).toBe(BASELINE)
    expect(result.raw.budgetExhausted).toBe(true)
    // 6 baseline cells (0.30) + the reflection call (0.01) + 2 candidate cells reach 0.41; nothing more starts.
    expect(cells).toBe(8)
    expect(result.raw.usage.costUsd).toBeCloseTo(0.41, 9)
    expect(result.raw.usage.tokensIn).toBe(8 * 1000 + 500)
    expect(result.reasons).toEqual([
      'Stopped before generation 1: the budget of $0.4 is spent.',
      'Hold: no candidate finished its training campaign (1 proposed; see the stop reason above); the baseline stays.',
    ])
  })
})
