/**
 * Ship gates. `heldOutGate` compares each candidate with the baseline on
 * held-out cells, paired by scenario and rep, with a one-sided test at
 * `alpha` and Holm's correction across candidates. `defaultProductionGate`
 * adds a red-team set whose score must not drop.
 */
import { ConfigError } from '@tangle-network/agent-runtime-core'
import { deriveSeed, seededRng } from './rng.js'
import { type PairedComparison, comparePaired, holmStepDown } from './stats.js'
import type { CampaignResult, CandidateVerdict, Gate, GateContext, GateResult, Scenario } from './types.js'

/** Options of {@link heldOutGate}. @experimental */
export interface HeldOutGateOptions {
  /** Held-out scenarios; selection must never have seen them. */
  scenarios: readonly Scenario[]
  /** One-sided level: the most a no-better candidate may ship, across all candidates tested (default 0.025). */
  alpha?: number
  /** The lift the lower bound must clear, on the 0..1 scale (default 0). */
  minDelta?: number
  /** Alias of `minDelta` (the reference's name). */
  deltaThreshold?: number
  /** Bootstrap resamples (default 2000). */
  resamples?: number
  /** Seed of the bootstrap (default 1337), so a verdict can be reproduced. */
  bootstrapSeed?: number
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x))
const signed = (x: number) => (x >= 0 ? `+${fmt(x)}` : fmt(x))
const fmtP = (p: number) => (p < 0.0001 ? p.toExponential(1) : p.toFixed(4))

function pairCells(base: CampaignResult, cand: CampaignResult): { b: number[]; c: number[] } {
  const byId = new Map(cand.cells.map((x) => [x.cellId, x.value]))
  const b: number[] = []
  const c: number[] = []
  for (const cell of [...base.cells].sort((x, y) => x.cellId.localeCompare(y.cellId))) {
    const v = byId.get(cell.cellId)
    if (v === undefined) continue
    b.push(cell.value)
    c.push(v)
  }
  return { b, c }
}

function explain(label: string, cmp: PairedComparison, base: number, cand: number, level: number | undefined, ship: boolean, minDelta: number): string {
  const test = cmp.exactTest === 'mcnemar-exact' ? `exact McNemar test on ${cmp.wins + cmp.losses} changed cells (${cmp.wins} better, ${cmp.losses} worse)` : `exact sign test (${cmp.wins} better, ${cmp.losses} worse, ${cmp.ties} tied against minDelta)`
  const head = `'${label}' on ${cmp.n} paired held-out cells: mean ${fmt(base)} → ${fmt(cand)} (${signed(cmp.meanDelta)})`
  if (level === undefined) return `${head}; not tested: Holm's step-down stopped at a candidate with stronger evidence that failed.`
  const bound = cmp.lowerBoundAt(level)
  const evidence = `one-sided ${(100 * (1 - level)).toFixed(2)} % lower bound ${signed(bound)}, ${test} p = ${fmtP(cmp.exactPValue)}, bootstrap p = ${fmtP(cmp.bootstrapPValue)}, tested at level ${fmtP(level)}`
  if (ship) return `${head}; ships: ${evidence}; the bound clears minDelta ${fmt(minDelta)} and both tests pass.`
  const why: string[] = []
  if (!(bound > minDelta)) why.push(`the lower bound does not clear minDelta ${fmt(minDelta)}`)
  if (cmp.exactPValue > level) why.push(`the exact test's p-value is above ${fmtP(level)}`)
  if (cmp.bootstrapPValue > level) why.push(`the bootstrap p-value is above ${fmtP(level)}`)
  const tooFew = cmp.n < 6 ? ` With only ${cmp.n} cells no exact test can reach this level; add held-out scenarios or reps.` : ''
  return `${head}; holds: ${why.join(' and ') || 'the evidence is not strong enough'} (${evidence}).${tooFew}`
}

/**
 * The held-out gate: scores the baseline and every candidate on its own
 * scenarios, pairs cells by scenario and rep, and ships a candidate only when
 * an exact test (McNemar's for binary judges, the sign test otherwise) and a
 * studentized bootstrap lower bound on the mean paired difference both clear
 * `minDelta` at the candidate's Holm level. `reasons` says why in words.
 * @experimental
 * @example
 * const gate = heldOutGate({ scenarios: holdoutScenarios, alpha: 0.025, minDelta: 0.02 })
 */
export function heldOutGate<T = string>(options: HeldOutGateOptions): Gate<T> {
  const scenarios = options?.scenarios ?? []
  if (scenarios.length === 0) throw new ConfigError('heldOutGate: `scenarios` is empty; give the held-out scenarios the gate scores on.')
  const alpha = options.alpha ?? 0.025
  if (!(alpha > 0 && alpha < 0.5)) throw new ConfigError(`heldOutGate: alpha must be in (0, 0.5); received ${String(alpha)}.`)
  const minDelta = options.minDelta ?? options.deltaThreshold ?? 0
  if (!(minDelta >= 0 && minDelta < 1)) throw new ConfigError(`heldOutGate: minDelta must be in [0, 1); received ${String(minDelta)}.`)
  return {
    name: 'held-out',
    scenarios,
    async decide(ctx: GateContext<T>): Promise<GateResult> {
      if (ctx.candidates.length === 0) {
        return { decision: 'hold', reasons: ['No candidate reached the gate; the baseline stays.'], verdicts: [], contributingGates: [{ name: 'held-out', status: 'not_evaluated', detail: 'no candidate' }] }
      }
      const base = await ctx.evaluate(ctx.baseline, scenarios)
      const arms: CampaignResult[] = []
      for (const c of ctx.candidates) arms.push(await ctx.evaluate(c.surface, scenarios))
      if (!base.complete) {
        const detail = `the baseline finished ${base.cells.length} of ${base.cells.length + base.failed.length + base.skipped} held-out cells (${base.failed[0]?.error ?? 'budget or abort'}); the gate needs complete pairs`
        return { decision: 'hold', reasons: [`Hold: ${detail}.`], baselineComposite: base.composite, verdicts: [], contributingGates: [{ name: 'held-out', status: 'fail', detail }] }
      }
      const comparisons = ctx.candidates.map((c, i) => {
        const { b, c: cv } = pairCells(base, arms[i]!)
        return comparePaired(b, cv, { alpha, minDelta, resamples: options.resamples, rng: seededRng(deriveSeed(options.bootstrapSeed ?? 1337, c.id)) })
      })
      const steps = holmStepDown(
        comparisons.map((cmp, i) => (arms[i]!.complete ? cmp : { ...cmp, pValue: 1, lowerBoundAt: () => Number.NEGATIVE_INFINITY })),
        { alpha, minDelta },
      )
      const verdicts: CandidateVerdict[] = ctx.candidates.map((c, i) => {
        const cmp = comparisons[i]!
        const step = steps[i]!
        const reason = arms[i]!.complete
          ? explain(c.label, cmp, base.composite, arms[i]!.composite, step.level, step.rejected, minDelta)
          : `'${c.label}' holds: it did not finish every held-out cell (${arms[i]!.failed[0]?.error ?? 'budget or abort'}).`
        return { id: c.id, label: c.label, ship: step.rejected, n: cmp.n, meanDelta: cmp.meanDelta, composite: arms[i]!.composite, lowerBound: step.level ? cmp.lowerBoundAt(step.level) : cmp.lowerBound, pValue: cmp.pValue, level: step.level, method: `${cmp.exactTest}+studentized-bootstrap`, reason }
      })
      const shipped = verdicts.filter((v) => v.ship).sort((a, b) => b.meanDelta - a.meanDelta)
      const best = shipped[0] ?? [...verdicts].sort((a, b) => b.meanDelta - a.meanDelta)[0]!
      const bestIndex = ctx.candidates.findIndex((c) => c.id === best.id)
      const holm = ctx.candidates.length > 1 ? ` Holm's correction over ${ctx.candidates.length} candidates keeps the overall false-ship chance at ${alpha}.` : ''
      const headline = shipped.length
        ? `Ship '${best.label}': it beats the baseline on held-out scenarios selection never saw.${holm}`
        : `Hold: no candidate proved a lift above ${fmt(minDelta)} on the held-out scenarios; the baseline stays.${holm}`
      return {
        decision: shipped.length ? 'ship' : 'hold',
        reasons: [headline, ...verdicts.map((v) => v.reason)],
        ...(shipped.length ? { winner: best.id } : {}),
        delta: best.meanDelta,
        baselineComposite: base.composite,
        winnerComposite: arms[bestIndex]!.composite,
        verdicts,
        contributingGates: [{ name: 'held-out', status: shipped.length ? 'pass' : 'fail', detail: headline }],
      }
    },
  }
}

/** Options of {@link defaultProductionGate}. @experimental */
export interface ProductionGateOptions extends Omit<HeldOutGateOptions, 'scenarios'> {
  /** Held-out scenarios for the lift test. */
  holdoutScenarios: readonly Scenario[]
  /** Adversarial scenarios whose score must not drop. */
  redTeamScenarios: readonly Scenario[]
  /** How far the red-team mean may fall before the candidate is held (default 0: not at all). */
  redTeamTolerance?: number
}

/**
 * The production gate: the held-out gate, then a red-team check. A candidate
 * the held-out gate ships is held anyway if its mean score on the red-team
 * scenarios falls below the baseline's (minus `redTeamTolerance`).
 * @experimental
 * @example
 * const gate = defaultProductionGate({ holdoutScenarios, redTeamScenarios: jailbreaks, minDelta: 0.05 })
 */
export function defaultProductionGate<T = string>(options: ProductionGateOptions): Gate<T> {
  if (!options?.redTeamScenarios?.length) throw new ConfigError('defaultProductionGate: `redTeamScenarios` is empty; give the adversarial scenarios whose score must not drop.')
  const held = heldOutGate<T>({ ...options, scenarios: options.holdoutScenarios })
  const tolerance = options.redTeamTolerance ?? 0
  return {
    name: 'production',
    scenarios: [...options.holdoutScenarios, ...options.redTeamScenarios],
    async decide(ctx) {
      const first = await held.decide(ctx)
      if (first.decision !== 'ship') {
        return { ...first, contributingGates: [...first.contributingGates, { name: 'red-team', status: 'not_evaluated', detail: 'the held-out gate did not ship' }] }
      }
      const base = await ctx.evaluate(ctx.baseline, options.redTeamScenarios)
      const reasons = [...first.reasons]
      for (const v of first.verdicts.filter((x) => x.ship).sort((a, b) => b.meanDelta - a.meanDelta)) {
        const cand = ctx.candidates.find((c) => c.id === v.id)!
        const red = await ctx.evaluate(cand.surface, options.redTeamScenarios)
        if (!base.complete || !red.complete) {
          reasons.push(`'${v.label}' held by the red-team check: not every red-team cell finished, so a drop cannot be ruled out.`)
          continue
        }
        if (red.composite < base.composite - tolerance) {
          reasons.push(`'${v.label}' held by the red-team check: its red-team score dropped from ${fmt(base.composite)} to ${fmt(red.composite)} (tolerance ${fmt(tolerance)}).`)
          continue
        }
        const detail = `red-team score ${fmt(base.composite)} → ${fmt(red.composite)}, no drop beyond ${fmt(tolerance)}`
        reasons.push(`'${v.label}' passes the red-team check: ${detail}.`)
        return { ...first, winner: v.id, delta: v.meanDelta, winnerComposite: v.composite, reasons, contributingGates: [...first.contributingGates, { name: 'red-team', status: 'pass', detail }] }
      }
      reasons[0] = 'Hold: every candidate that passed the held-out gate failed the red-team check; the baseline stays.'
      const { winner: _drop, ...rest } = first
      return { ...rest, decision: 'hold', reasons, contributingGates: [...first.contributingGates, { name: 'red-team', status: 'fail', detail: 'red-team score dropped' }] }
    },
  }
}
