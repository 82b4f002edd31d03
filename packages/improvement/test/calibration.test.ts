// Measured, not assumed: the gate's false-ship rate and power over seeded
// simulated campaigns (judge scores simulated directly, no I/O).
import { type MeasuredRate, cellsNeeded, simulateGateCalibration } from '@tangle-network/agent-runtime/improvement'
import { describe, expect, it } from 'vitest'

const pct = (r: MeasuredRate) => `${(100 * r.rate).toFixed(2)} % [${(100 * r.low).toFixed(2)}, ${(100 * r.high).toFixed(2)}] (${r.ships}/${r.campaigns})`

describe('held-out gate calibration (400 seeded campaigns each)', () => {
  it('false-ships at most 2.5 % of no-better candidates picked best-of-10, where the naive rules ship about half and about 90 %', () => {
    for (const judge of ['continuous', 'binary'] as const) {
      const r = simulateGateCalibration({ campaigns: 400, lift: 0, judge, candidates: 10, seed: 7 })
      console.log(
        `[null, ${judge}, best of 10, 30 cells] gate ${pct(r.gate)}; gate+Holm over all 10 ${pct(r.gateHolm)}; naive "held-out mean went up" ${pct(r.naiveHeldOut)}; naive "best of 10 beat baseline on its selection items" ${pct(r.naiveSelection)}`,
      )
      expect(r.gate.rate).toBeLessThanOrEqual(0.025)
      expect(r.gateHolm.rate).toBeLessThanOrEqual(0.025)
      // The baseline the gate replaces: the naive rules ship no-better candidates wholesale.
      expect(r.naiveHeldOut.rate).toBeGreaterThan(0.3)
      expect(r.naiveSelection.rate).toBeGreaterThan(0.8)
    }
  }, 60_000)

  it('ships a true +0.1 lift at least 80 % of the time with 30 paired cells and paired-difference noise 0.1', () => {
    const r = simulateGateCalibration({ campaigns: 400, lift: 0.1, noiseSd: 0.1, cells: 30, candidates: 1, seed: 11 })
    console.log(`[lift +0.1, continuous, noise 0.1, 30 cells] power ${pct(r.gate)}; naive ${pct(r.naiveHeldOut)}`)
    expect(r.gate.rate).toBeGreaterThanOrEqual(0.8)
    // cellsNeeded's continuous figure is what the simulation needs too (both tests of the gate included).
    const needed = cellsNeeded({ lift: 0.1, judge: 'continuous', sd: 0.1 })
    const atNeeded = simulateGateCalibration({ campaigns: 400, lift: 0.1, noiseSd: 0.1, cells: needed, candidates: 1, seed: 19 })
    console.log(`[lift +0.1, continuous, noise 0.1] cells needed for 80 % power: ${needed}; simulated power there ${pct(atNeeded.gate)}`)
    expect(needed).toBe(17)
    expect(atNeeded.gate.high).toBeGreaterThanOrEqual(0.8)
    expect(atNeeded.gate.rate).toBeGreaterThanOrEqual(0.72)
  }, 60_000)

  it('with binary judges 30 cells cannot resolve +0.1; about 120 are needed, and that many reach 80 % power', () => {
    const needed = cellsNeeded({ lift: 0.1, judge: 'binary' })
    const few = simulateGateCalibration({ campaigns: 400, lift: 0.1, judge: 'binary', cells: 30, candidates: 1, seed: 13 })
    const enough = simulateGateCalibration({ campaigns: 400, lift: 0.1, judge: 'binary', cells: needed, candidates: 1, seed: 17 })
    console.log(`[lift +0.1, binary, 15 % of cells change] cells needed for 80 % power: ${needed}; power at 30 cells ${pct(few.gate)}; at ${needed} cells ${pct(enough.gate)}`)
    expect(needed).toBeGreaterThanOrEqual(100)
    expect(needed).toBeLessThanOrEqual(140)
    expect(few.gate.rate).toBeLessThan(0.5)
    expect(enough.gate.high).toBeGreaterThanOrEqual(0.8)
    expect(enough.gate.rate).toBeGreaterThanOrEqual(0.72)
  }, 60_000)
})
