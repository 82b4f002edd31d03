/**
 * The statistics behind the held-out gate: exact binomial tails (sign test,
 * McNemar), a studentized bootstrap lower bound on a mean paired difference,
 * Holm's step-down correction, Wilson intervals and sample-size planning.
 * Pure functions over numbers; randomness only through an injected {@link Rng}.
 */
import { ValidationError } from '@tangle-network/agent-runtime-core'
import { type Rng, seededRng } from './rng.js'

const lnFactCache: number[] = [0]
function lnFact(n: number): number {
  for (let i = lnFactCache.length; i <= n; i++) lnFactCache[i] = lnFactCache[i - 1]! + Math.log(i)
  return lnFactCache[n]!
}

function binomPmf(n: number, k: number, p: number): number {
  if (k < 0 || k > n) return 0
  if (p <= 0) return k === 0 ? 1 : 0
  if (p >= 1) return k === n ? 1 : 0
  return Math.exp(lnFact(n) - lnFact(k) - lnFact(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p))
}

/**
 * P(X ≥ k) for X ~ Binomial(n, p), summed exactly term by term.
 * @experimental
 * @example
 * binomialUpperTail(10, 9, 0.5) // 11 / 1024
 */
export function binomialUpperTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1
  if (k > n) return 0
  let total = 0
  for (let j = k; j <= n; j++) total += binomPmf(n, j, p)
  return Math.min(1, total)
}

/**
 * Exact one-sided sign test: the chance of at least `wins` wins out of
 * `wins + losses` untied pairs if wins and losses were equally likely.
 * Applied to binary outcomes' discordant pairs this is McNemar's exact test.
 * @experimental
 * @example
 * signTestPValue(8, 0) // 1 / 256
 */
export function signTestPValue(wins: number, losses: number): number {
  return binomialUpperTail(wins + losses, wins, 0.5)
}

/**
 * Wilson score interval for a binomial proportion (default 95 %).
 * @experimental
 * @example
 * wilsonInterval(5, 400) // { rate: 0.0125, low: ≈0.005, high: ≈0.029 }
 */
export function wilsonInterval(successes: number, trials: number, z = 1.959964): { rate: number; low: number; high: number } {
  if (trials <= 0) return { rate: 0, low: 0, high: 1 }
  const p = successes / trials
  const z2 = z * z
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
  const half = (z / (1 + z2 / trials)) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))
  return { rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) }
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
 * @experimental
 * @example
 * normalQuantile(0.975) // ≈ 1.96
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new ValidationError(`normalQuantile: p must be in (0, 1); received ${p}.`)
  const a = [-39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const lo = 0.02425
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
  }
  if (p > 1 - lo) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
}

/** Options of {@link comparePaired}. @experimental */
export interface PairedComparisonOptions {
  /** One-sided level of the test (default 0.025). */
  alpha?: number
  /** The lift the candidate must prove, on the judges' 0..1 scale (default 0). */
  minDelta?: number
  /** Bootstrap resamples (default 2000). */
  resamples?: number
  /** Randomness for the bootstrap; default a PRNG seeded with 1337, so a verdict is reproducible. */
  rng?: Rng
  /**
   * Skip the bootstrap when the exact test already fails at `alpha` (the bootstrap p-value is then
   * reported as 1). The ship decision is the same, since a ship needs both; simulations use it for speed.
   */
  skipBootstrapWhenExactFails?: boolean
}

/** The evidence one candidate has against the baseline on paired cells. @experimental */
export interface PairedComparison {
  /** Paired cells compared. */
  n: number
  /** Mean of candidate − baseline over the pairs. */
  meanDelta: number
  /** Pairs the candidate won, lost and tied (against `minDelta` for continuous scores, 0 for binary). */
  wins: number
  losses: number
  ties: number
  /** True when every score on both sides was 0 or 1. */
  binary: boolean
  /** `'mcnemar-exact'` for binary scores, else `'sign-exact'`; both run next to the bootstrap. */
  exactTest: 'mcnemar-exact' | 'sign-exact'
  /** One-sided p-value of the exact test. */
  exactPValue: number
  /** One-sided studentized-bootstrap p-value for "mean difference ≤ minDelta". */
  bootstrapPValue: number
  /** The larger of the two: a candidate must pass both. */
  pValue: number
  /** Lower confidence bound on the mean difference at level `alpha`. */
  lowerBound: number
  /** Lower bound at another one-sided level (used by Holm's step-down). */
  lowerBoundAt(level: number): number
}

function meanOf(xs: readonly number[]): number {
  let s = 0
  for (const x of xs) s += x
  return xs.length ? s / xs.length : 0
}

function sdOf(xs: readonly number[], m: number): number {
  if (xs.length < 2) return 0
  let s = 0
  for (const x of xs) s += (x - m) * (x - m)
  return Math.sqrt(s / (xs.length - 1))
}

/**
 * Compares a candidate with the baseline on paired cells (`baseline[i]` and
 * `candidate[i]` are the same scenario and rep). Two one-sided tests must both
 * pass for a ship: an exact test (McNemar's on binary scores, the sign test
 * otherwise) and a studentized bootstrap bound on the mean paired difference.
 * @experimental
 * @example
 * const c = comparePaired([0.4, 0.5, 0.4, 0.6, 0.5, 0.4], [0.9, 0.8, 0.9, 0.9, 0.8, 0.9])
 * c.pValue <= 0.025 && c.lowerBound > 0 // true: every pair improved
 */
export function comparePaired(baseline: readonly number[], candidate: readonly number[], options: PairedComparisonOptions = {}): PairedComparison {
  if (baseline.length !== candidate.length) {
    throw new ValidationError(`comparePaired: the arms must be paired; baseline has ${baseline.length} cells, candidate ${candidate.length}.`)
  }
  const alpha = options.alpha ?? 0.025
  const minDelta = options.minDelta ?? 0
  const resamples = options.resamples ?? 2000
  const rng = options.rng ?? seededRng(1337)
  const n = baseline.length
  const d = baseline.map((b, i) => candidate[i]! - b)
  const binary = [...baseline, ...candidate].every((v) => v === 0 || v === 1)
  const m = meanOf(d)
  const se = sdOf(d, m) / Math.sqrt(Math.max(n, 1))

  // Exact test: McNemar on discordant binary pairs, else the sign test of d − minDelta.
  const pivot = binary ? 0 : minDelta
  let wins = 0
  let losses = 0
  for (const x of d) {
    if (x > pivot) wins++
    else if (x < pivot) losses++
  }
  const exactPValue = n === 0 ? 1 : signTestPValue(wins, losses)

  // Studentized bootstrap: the distribution of (m* − m) / se* stands in for that of (m − μ) / se.
  const skip = options.skipBootstrapWhenExactFails === true && exactPValue > alpha
  const tStars = new Float64Array(se > 0 && !skip ? resamples : 0)
  const sample = new Float64Array(n)
  for (let b = 0; b < tStars.length; b++) {
    let sum = 0
    for (let i = 0; i < n; i++) {
      const v = d[Math.floor(rng() * n)]!
      sample[i] = v
      sum += v
    }
    const mStar = sum / n
    let ss = 0
    for (let i = 0; i < n; i++) ss += (sample[i]! - mStar) * (sample[i]! - mStar)
    const seStar = n > 1 ? Math.sqrt(ss / (n - 1)) / Math.sqrt(n) : 0
    // A resample with zero spread (all cells equal, common with binary scores and few cells) has no
    // standard error of its own; studentize it by the observed one rather than call it infinite.
    tStars[b] = (mStar - m) / (seStar > 0 ? seStar : se)
  }
  tStars.sort()
  const lowerBoundAt = (level: number): number => {
    if (n === 0) return Number.NEGATIVE_INFINITY
    // Zero spread: every pair moved by the same amount; the exact test carries the uncertainty.
    if (se === 0) return m
    if (skip) return Number.NEGATIVE_INFINITY
    const idx = Math.min(tStars.length - 1, Math.max(0, Math.ceil((1 - level) * (tStars.length + 1)) - 1))
    const q = tStars[idx]!
    return Number.isFinite(q) ? m - q * se : Number.NEGATIVE_INFINITY
  }
  let bootstrapPValue: number
  if (n === 0 || skip) bootstrapPValue = 1
  else if (se === 0) bootstrapPValue = m > minDelta ? 0 : 1
  else {
    const tObs = (m - minDelta) / se
    let atLeast = 0
    for (const t of tStars) if (t >= tObs) atLeast++
    bootstrapPValue = (1 + atLeast) / (tStars.length + 1)
  }
  return {
    n,
    meanDelta: m,
    wins,
    losses,
    ties: n - wins - losses,
    binary,
    exactTest: binary ? 'mcnemar-exact' : 'sign-exact',
    exactPValue,
    bootstrapPValue,
    pValue: Math.max(exactPValue, bootstrapPValue),
    lowerBound: lowerBoundAt(alpha),
    lowerBoundAt,
  }
}

/** One candidate's place in Holm's step-down. @experimental */
export interface HolmStep {
  /** Index of the candidate in the input. */
  index: number
  /** The level its p-value was compared with (α / (m − rank)), or undefined if the step-down stopped before it. */
  level?: number
  /** True when the hypothesis "no better than baseline by minDelta" is rejected. */
  rejected: boolean
}

/**
 * Holm's step-down over candidates' comparisons: sorted by p-value, the k-th
 * is tested at α / (m − k + 1) and must also have its bound clear `minDelta`
 * at that level; the first failure stops the procedure. Controls the chance
 * of shipping any no-better candidate at α however many are tested.
 * @experimental
 * @example
 * holmStepDown([comparePaired(base, candA), comparePaired(base, candB)], { alpha: 0.025 })
 */
export function holmStepDown(comparisons: readonly PairedComparison[], options: { alpha?: number; minDelta?: number } = {}): HolmStep[] {
  const alpha = options.alpha ?? 0.025
  const minDelta = options.minDelta ?? 0
  const m = comparisons.length
  const order = comparisons.map((c, index) => ({ c, index })).sort((x, y) => x.c.pValue - y.c.pValue || x.index - y.index)
  const steps: HolmStep[] = comparisons.map((_, index) => ({ index, rejected: false }))
  for (let k = 0; k < order.length; k++) {
    const { c, index } = order[k]!
    const level = alpha / (m - k)
    steps[index] = { index, level, rejected: false }
    if (!(c.pValue <= level && c.lowerBoundAt(level) > minDelta)) break
    steps[index]!.rejected = true
  }
  return steps
}

/** Options of {@link cellsNeeded}. @experimental */
export type CellsNeededOptions = {
  /** The true lift to detect, on the 0..1 scale. */
  lift: number
  /** One-sided level (default 0.025). */
  alpha?: number
  /** Wanted power (default 0.8). */
  power?: number
} & (
  | { /** Binary judges: the share of cells whose outcome differs between the arms (default 0.15). */ judge: 'binary'; discordance?: number }
  | { /** Continuous judges: standard deviation of the paired difference. */ judge: 'continuous'; sd: number }
)

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2)
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
  const erf = 1 - poly * Math.exp(-(x * x) / 2)
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2
}

/**
 * Smallest n whose exact one-sided sign test reaches `power` when each cell is
 * discordant with probability `pDisc` and a discordant cell is a win with
 * probability `pWin` (power summed exactly over the number of discordant cells).
 */
function exactSignTestCells(pDisc: number, pWin: number, alpha: number, power: number): number {
  const Q: number[] = []
  for (let n = 1; n <= 20000; n++) {
    for (let m = Q.length; m <= n; m++) {
      let k = m + 1
      let tail = 0
      while (k > 0 && tail + binomPmf(m, k - 1, 0.5) <= alpha) {
        k--
        tail += binomPmf(m, k, 0.5)
      }
      Q[m] = binomialUpperTail(m, k, pWin)
    }
    let total = 0
    for (let m = 0; m <= n; m++) total += binomPmf(n, m, pDisc) * Q[m]!
    if (total >= power) return n
  }
  throw new ValidationError(`cellsNeeded: more than 20000 cells would be needed (discordance ${pDisc}, win share ${pWin.toFixed(3)}).`)
}

/**
 * Paired held-out cells the gate needs to ship a true lift with the wanted
 * power. Binary judges: exact McNemar power, summed over the number of
 * discordant cells. Continuous judges (Gaussian paired noise): the larger of
 * the exact sign test's need and the normal approximation of the bootstrap's,
 * since the gate requires both.
 * @experimental
 * @example
 * cellsNeeded({ lift: 0.1, judge: 'continuous', sd: 0.1 }) // 17
 * cellsNeeded({ lift: 0.1, judge: 'binary', discordance: 0.15 }) // 122
 */
export function cellsNeeded(options: CellsNeededOptions): number {
  const alpha = options.alpha ?? 0.025
  const power = options.power ?? 0.8
  const { lift } = options
  if (!(lift > 0 && lift <= 1)) throw new ValidationError(`cellsNeeded: lift must be in (0, 1]; received ${lift}.`)
  if (!(alpha > 0 && alpha < 0.5 && power > 0 && power < 1)) throw new ValidationError(`cellsNeeded: alpha must be in (0, 0.5) and power in (0, 1); received ${alpha} and ${power}.`)
  if (options.judge === 'continuous') {
    if (!(options.sd > 0)) throw new ValidationError(`cellsNeeded: sd must be > 0; received ${options.sd}.`)
    const z = normalQuantile(1 - alpha) + normalQuantile(power)
    return Math.max(Math.ceil(((z * options.sd) / lift) ** 2), exactSignTestCells(1, normalCdf(lift / options.sd), alpha, power))
  }
  const disc = options.discordance ?? 0.15
  if (!(disc >= lift && disc <= 1)) {
    throw new ValidationError(`cellsNeeded: discordance must be in [lift, 1] (a lift of ${lift} needs at least that share of changed cells); received ${disc}.`)
  }
  return exactSignTestCells(disc, (disc + lift) / (2 * disc), alpha, power)
}
