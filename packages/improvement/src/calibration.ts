/**
 * Simulated campaigns that measure the gate instead of assuming it: how often
 * it ships a candidate that is no better in truth (false ship), how often it
 * ships a real lift (power), and the same for the naive "mean went up" rule.
 * Judge scores are simulated directly; nothing runs an agent.
 */
import { ValidationError } from '@tangle-network/agent-runtime-core'
import { type Rng, normalDraw, seededRng } from './rng.js'
import { comparePaired, holmStepDown, wilsonInterval } from './stats.js'

/** Options of {@link simulateGateCalibration}. @experimental */
export interface GateCalibrationOptions {
  /** Simulated campaigns (default 400). */
  campaigns?: number
  /** Paired held-out cells per campaign (default 30). */
  cells?: number
  /** True lift of every candidate over the baseline (0 = the null: no candidate is better). */
  lift?: number
  /** `'continuous'`: scores with Gaussian noise; `'binary'`: pass/fail judges. Default continuous. */
  judge?: 'continuous' | 'binary'
  /** Continuous judges: standard deviation of the paired difference (default 0.1). */
  noiseSd?: number
  /** Binary judges: share of cells whose outcome differs between the arms (default 0.15). */
  discordance?: number
  /** Candidates per campaign; the best on the selection items goes to the gate (default 10). */
  candidates?: number
  alpha?: number
  minDelta?: number
  /** Bootstrap resamples per comparison (default 1000). */
  resamples?: number
  seed?: number
}

/** A measured rate with its 95 % Wilson interval. @experimental */
export interface MeasuredRate {
  ships: number
  campaigns: number
  rate: number
  low: number
  high: number
}

/** What {@link simulateGateCalibration} measured. @experimental */
export interface GateCalibrationReport {
  options: Required<GateCalibrationOptions>
  /** The gate on the best-of-N candidate's held-out cells. */
  gate: MeasuredRate
  /** The gate with every candidate tested on the held-out cells under Holm's correction. */
  gateHolm: MeasuredRate
  /** Naive: ship when the selected candidate's held-out mean went up. */
  naiveHeldOut: MeasuredRate
  /** Naive, GEPA-style: ship when the best of N beat the baseline on the items it was selected on. */
  naiveSelection: MeasuredRate
}

interface Arms {
  base: number[]
  cands: number[][]
}

function simulateArms(rng: Rng, o: Required<GateCalibrationOptions>): Arms {
  const base: number[] = []
  const cands: number[][] = Array.from({ length: o.candidates }, () => [])
  for (let i = 0; i < o.cells; i++) {
    const difficulty = 0.3 + 0.4 * rng()
    if (o.judge === 'continuous') {
      const arm = () => Math.min(1, Math.max(0, difficulty + (o.noiseSd / Math.SQRT2) * normalDraw(rng)))
      base.push(arm())
      for (const c of cands) c.push(Math.min(1, Math.max(0, arm() + o.lift)))
    } else {
      // The baseline passes with the cell's difficulty; a candidate flips a fail to a pass (a win) or a
      // pass to a fail (a loss) so that wins + losses = discordance and wins − losses = lift.
      const b = rng() < difficulty ? 1 : 0
      base.push(b)
      const flip = b === 0 ? (o.discordance + o.lift) / (2 * (1 - difficulty)) : (o.discordance - o.lift) / (2 * difficulty)
      for (const c of cands) c.push(rng() < flip ? 1 - b : b)
    }
  }
  return { base, cands }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

function rate(ships: number, campaigns: number): MeasuredRate {
  const w = wilsonInterval(ships, campaigns)
  return { ships, campaigns, rate: w.rate, low: w.low, high: w.high }
}

/**
 * Runs seeded simulated campaigns through the gate's statistics and reports
 * ship rates with 95 % Wilson intervals: with `lift: 0` the rates are
 * false-ship rates, with a positive lift they are power.
 * @experimental
 * @example
 * const nullRun = simulateGateCalibration({ lift: 0 }) // nullRun.gate.rate <= 0.025
 * const power = simulateGateCalibration({ lift: 0.1, candidates: 1 }) // power.gate.rate >= 0.8
 */
export function simulateGateCalibration(options: GateCalibrationOptions = {}): GateCalibrationReport {
  const o: Required<GateCalibrationOptions> = {
    campaigns: options.campaigns ?? 400,
    cells: options.cells ?? 30,
    lift: options.lift ?? 0,
    judge: options.judge ?? 'continuous',
    noiseSd: options.noiseSd ?? 0.1,
    discordance: options.discordance ?? 0.15,
    candidates: options.candidates ?? 10,
    alpha: options.alpha ?? 0.025,
    minDelta: options.minDelta ?? 0,
    resamples: options.resamples ?? 1000,
    seed: options.seed ?? 2025,
  }
  if (!(o.campaigns >= 1 && o.cells >= 2 && o.candidates >= 1)) throw new ValidationError('simulateGateCalibration: campaigns >= 1, cells >= 2 and candidates >= 1 are required.')
  if (o.judge === 'binary' && !(o.discordance >= Math.abs(o.lift) && o.discordance <= 1)) {
    throw new ValidationError(`simulateGateCalibration: discordance must be in [|lift|, 1]; received ${o.discordance}.`)
  }
  const rng = seededRng(o.seed)
  let gate = 0
  let gateHolm = 0
  let naiveHeldOut = 0
  let naiveSelection = 0
  for (let k = 0; k < o.campaigns; k++) {
    // Selection on training items: the best of N by mean (a null candidate wins by luck).
    const train = simulateArms(rng, o)
    const trainMeans = train.cands.map(mean)
    const best = trainMeans.indexOf(Math.max(...trainMeans))
    if (trainMeans[best]! > mean(train.base)) naiveSelection++
    // Held-out: fresh cells, the same truth.
    const held = simulateArms(rng, o)
    const comparisons = held.cands.map((c) => comparePaired(held.base, c, { alpha: o.alpha, minDelta: o.minDelta, resamples: o.resamples, rng, skipBootstrapWhenExactFails: true }))
    const chosen = comparisons[best]!
    if (chosen.pValue <= o.alpha && chosen.lowerBound > o.minDelta) gate++
    if (mean(held.cands[best]!) > mean(held.base)) naiveHeldOut++
    if (holmStepDown(comparisons, { alpha: o.alpha, minDelta: o.minDelta }).some((s) => s.rejected)) gateHolm++
  }
  return {
    options: o,
    gate: rate(gate, o.campaigns),
    gateHolm: rate(gateHolm, o.campaigns),
    naiveHeldOut: rate(naiveHeldOut, o.campaigns),
    naiveSelection: rate(naiveSelection, o.campaigns),
  }
}
