import { type CellContext, createMemoryCampaignStorage, createUsageLedger, runCampaign } from '@tangle-network/agent-runtime/improvement'
import { describe, expect, it } from 'vitest'
import { qualityJudge, scenarios } from './helpers.js'

describe('runCampaign', () => {
  it('runs scenarios × reps with at most maxConcurrency cells in flight', async () => {
    let inFlight = 0
    let peak = 0
    const release: Array<() => void> = []
    const run = async () => {
      inFlight++
      peak = Math.max(peak, inFlight)
      // Each cell waits until the test releases it, so the pool fills before any finishes.
      await new Promise<void>((r) => release.push(r))
      inFlight--
      return { quality: 0.5 }
    }
    const done = runCampaign({ surface: 'p', scenarios: scenarios('s', 5), judges: [qualityJudge], run, storage: createMemoryCampaignStorage(), reps: 2, maxConcurrency: 3 })
    let released = 0
    while (released < 10) {
      await new Promise((r) => setImmediate(r))
      while (release.length) {
        release.shift()!()
        released++
      }
    }
    const result = await done
    expect(peak).toBe(3)
    expect(result.cells).toHaveLength(10)
    expect(result.complete).toBe(true)
    expect(result.cells.map((c) => c.cellId).sort()).toEqual(scenarios('s', 5).flatMap((s) => [`${s.id}:0`, `${s.id}:1`]).sort())
  })

  it('reuses stored cells: a second campaign of the same surface runs nothing; another surface runs everything with the same cell seeds', async () => {
    const storage = createMemoryCampaignStorage()
    const seen: Array<{ surface: string; ctx: CellContext }> = []
    const run = (surface: string, _s: unknown, ctx: CellContext) => {
      seen.push({ surface, ctx })
      return { quality: ctx.rep === 0 ? 0.2 : 0.6 }
    }
    const opts = { scenarios: scenarios('s', 3), judges: [qualityJudge], run, storage, reps: 2, seed: 5 }
    const first = await runCampaign({ ...opts, surface: 'A' })
    expect(seen).toHaveLength(6)
    expect(first.scenarioMeans).toEqual({ 's-0': 0.4, 's-1': 0.4, 's-2': 0.4 })
    expect(first.composite).toBeCloseTo(0.4)
    const again = await runCampaign({ ...opts, surface: 'A' })
    expect(seen).toHaveLength(6)
    expect(again.reused).toBe(6)
    expect(again.cells).toEqual(first.cells)
    await runCampaign({ ...opts, surface: 'B' })
    expect(seen).toHaveLength(12)
    const seedsOf = (s: string) => seen.filter((x) => x.surface === s).map((x) => `${x.ctx.cellId}=${x.ctx.seed}`).sort()
    expect(seedsOf('B')).toEqual(seedsOf('A'))
    expect(new Set(seedsOf('A').map((x) => x.split('=')[1])).size).toBe(6)
  })

  it('records failed cells (agent throw, judge throw, out-of-range score) without scoring them 0, and retries them next run', async () => {
    const storage = createMemoryCampaignStorage()
    let flaky = true
    const run = (_p: string, s: { id: string }) => {
      if (s.id === 's-0' && flaky) throw new Error('sandbox died')
      return { quality: s.id === 's-2' ? 1.5 : 0.8 }
    }
    const result = await runCampaign({ surface: 'p', scenarios: scenarios('s', 3), judges: [qualityJudge], run, storage })
    expect(result.complete).toBe(false)
    expect(result.failed).toEqual([
      { scenarioId: 's-0', rep: 0, cellId: 's-0:0', error: 'sandbox died' },
      { scenarioId: 's-2', rep: 0, cellId: 's-2:0', error: "judge 'quality' scored 1.5 on cell s-2:0; scores must be in [0, 1]." },
    ])
    expect(result.scenarioMeans).toEqual({ 's-1': 0.8 })
    expect(result.composite).toBeCloseTo(0.8)
    flaky = false
    const retry = await runCampaign({ surface: 'p', scenarios: scenarios('s', 2), judges: [qualityJudge], run, storage })
    expect(retry).toMatchObject({ complete: true, reused: 1 })
  })

  it('books tokens and cost in the ledger and stops starting cells once the budget is spent', async () => {
    const ledger = createUsageLedger({ budgetUsd: 0.35 })
    let runs = 0
    const run = (_p: string, _s: unknown, ctx: CellContext) => {
      runs++
      ctx.recordUsage({ tokensIn: 100, tokensOut: 20, costUsd: 0.1 })
      return { quality: 1 }
    }
    const result = await runCampaign({ surface: 'p', scenarios: scenarios('s', 10), judges: [qualityJudge], run, storage: createMemoryCampaignStorage(), maxConcurrency: 1, ledger })
    expect(runs).toBe(4)
    expect(result).toMatchObject({ complete: false, skipped: 6 })
    expect(result.usage).toEqual({ tokensIn: 400, tokensOut: 80, costUsd: expect.closeTo(0.4, 9) })
    expect(ledger.exhausted()).toBe(true)
    expect(result.cells[0]!.usage).toEqual({ tokensIn: 100, tokensOut: 20, costUsd: 0.1 })
  })

  it('rejects bad options with the field named', async () => {
    const base = { surface: 'p', scenarios: scenarios('s', 1), judges: [qualityJudge], run: () => ({ quality: 1 }), storage: createMemoryCampaignStorage() }
    await expect(runCampaign({ ...base, reps: 0 })).rejects.toThrow(/reps must be a positive integer; received 0/)
    await expect(runCampaign({ ...base, maxConcurrency: 1.5 })).rejects.toThrow(/maxConcurrency/)
    await expect(runCampaign({ ...base, judges: [] })).rejects.toThrow(/judges/)
    expect(() => createUsageLedger({ budgetUsd: -1 })).toThrow(/budgetUsd/)
  })
})
