/**
 * `runImprovementLoop`: baseline campaign on the training scenarios, then
 * generations of proposals scored on the same scenarios, a Pareto frontier
 * feeding the proposer, and at the end the gate on scenarios selection never saw.
 */
import { ConfigError } from '@tangle-network/agent-runtime-core'
import { type UsageLedger, createUsageLedger, hashSurface, runCampaign } from './campaign.js'
import { paretoFrontier } from './pareto.js'
import { deriveSeed, seededRng } from './rng.js'
import type { CampaignResult, CampaignStorage, GateResult, Gate, ImprovementDriver, Judge, ParetoParent, ProposedCandidate, RunWithSurface, Scenario, Usage } from './types.js'

/** Options of {@link runImprovementLoop}. @experimental */
export interface ImprovementLoopOptions<T, S extends Scenario = Scenario, O = unknown> {
  baselineSurface: T
  runWithSurface: RunWithSurface<T, S, O>
  /** Training scenarios: proposals are scored and selected on these. */
  scenarios: readonly S[]
  judges: readonly Judge<S, O>[]
  driver: ImprovementDriver<T>
  /** Decides on scenarios of its own, which must not overlap `scenarios`. */
  gate: Gate<T>
  storage: CampaignStorage
  /** Candidates per generation (default 4). */
  populationSize?: number
  /** Generations (default 3). */
  maxGenerations?: number
  /** Best training candidates sent to the gate (default 1); Holm's correction covers them. */
  promoteTopK?: number
  reps?: number
  seed?: number
  maxConcurrency?: number
  /** Stop starting cells and reflection calls once this much was spent. */
  budgetUsd?: number
  ledger?: UsageLedger
  signal?: AbortSignal
  /** Progress lines (for stderr or a log). */
  onProgress?(message: string): void
}

/** One evaluated candidate in a generation. @experimental */
export interface GenerationCandidate {
  label: string
  rationale: string
  surfaceHash: string
  composite: number
  complete: boolean
  /** True when it became the incumbent (strictly better mean than the previous one). */
  promoted: boolean
}

/** One generation's record. @experimental */
export interface GenerationRecord {
  generation: number
  candidates: GenerationCandidate[]
  rejected: Array<{ label: string; reason: string }>
}

/** What {@link runImprovementLoop} returns. `winnerSurface` is the baseline unless the gate shipped. @experimental */
export interface ImprovementLoopResult<T> {
  decision: 'ship' | 'hold'
  reasons: string[]
  baselineSurface: T
  winnerSurface: T
  /** The best training candidate sent to the gate (shipped or not). */
  bestCandidate?: { surface: T; label: string; rationale: string; trainComposite: number }
  baselineCampaign: CampaignResult
  generations: GenerationRecord[]
  paretoFrontier: Array<{ label: string; surfaceHash: string; composite: number; objectives: Record<string, number> }>
  gateResult?: GateResult
  usage: Usage
  budgetExhausted: boolean
}

function normalise<T>(p: T | ProposedCandidate<T>, i: number, gen: number): ProposedCandidate<T> {
  if (p && typeof p === 'object' && 'surface' in (p as object) && 'label' in (p as object)) return p as ProposedCandidate<T>
  return { surface: p as T, label: `g${gen}-c${i}`, rationale: '' }
}

/**
 * Runs the improvement loop over any surface type: a prompt string, a code
 * patch, a config object. Only the gate may ship; every other path returns
 * the baseline with the reason.
 * @experimental
 * @example
 * const result = await runImprovementLoop({ baselineSurface: prompt, runWithSurface, scenarios, judges, driver: gepaDriver({ llm }), gate: heldOutGate({ scenarios: holdout }), storage })
 */
export async function runImprovementLoop<T, S extends Scenario = Scenario, O = unknown>(options: ImprovementLoopOptions<T, S, O>): Promise<ImprovementLoopResult<T>> {
  const populationSize = options.populationSize ?? 4
  const maxGenerations = options.maxGenerations ?? 3
  const promoteTopK = options.promoteTopK ?? 1
  const seed = options.seed ?? 42
  for (const [name, v, min] of [['populationSize', populationSize, 1], ['maxGenerations', maxGenerations, 0], ['promoteTopK', promoteTopK, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`runImprovementLoop: ${name} must be an integer >= ${min}; received ${String(v)}.`)
  }
  if (options.scenarios.length === 0) throw new ConfigError('runImprovementLoop: `scenarios` is empty; give the training scenarios proposals are scored on.')
  if (options.judges.length === 0) throw new ConfigError('runImprovementLoop: `judges` is empty; give at least one judge.')
  const trainIds = new Set(options.scenarios.map((s) => s.id))
  const overlap = options.gate.scenarios.filter((s) => trainIds.has(s.id)).map((s) => s.id)
  if (overlap.length) {
    throw new ConfigError(`runImprovementLoop: gate scenario(s) ${overlap.join(', ')} are also training scenarios; held-out scenarios must be ones selection never saw.`)
  }
  const ledger = options.ledger ?? createUsageLedger({ budgetUsd: options.budgetUsd })
  const signal = options.signal ?? new AbortController().signal
  const log = options.onProgress ?? (() => {})
  const campaign = (surface: T, scenarios: readonly S[]) =>
    runCampaign({ surface, scenarios, judges: options.judges, run: options.runWithSurface, storage: options.storage, reps: options.reps, seed, maxConcurrency: options.maxConcurrency, ledger, signal })

  const reasons: string[] = []
  const baselineCampaign = await campaign(options.baselineSurface, options.scenarios)
  log(`baseline: training composite ${baselineCampaign.composite.toFixed(3)} (${baselineCampaign.reused} cells reused)`)
  const result = (decision: 'ship' | 'hold', extra: Partial<ImprovementLoopResult<T>> = {}): ImprovementLoopResult<T> => ({
    decision,
    reasons,
    baselineSurface: options.baselineSurface,
    winnerSurface: options.baselineSurface,
    baselineCampaign,
    generations,
    paretoFrontier: paretoFrontier(parents).map((p) => ({ label: p.label, surfaceHash: p.surfaceHash, composite: p.composite, objectives: p.objectives })),
    usage: { ...ledger.usage },
    budgetExhausted: ledger.exhausted(),
    ...extra,
  })
  const generations: GenerationRecord[] = []
  const baseline: ParetoParent<T> = { surface: options.baselineSurface, surfaceHash: baselineCampaign.surfaceHash, label: 'baseline', objectives: baselineCampaign.scenarioMeans, composite: baselineCampaign.composite, generation: -1, campaign: baselineCampaign }
  const parents: ParetoParent<T>[] = [baseline]
  if (!baselineCampaign.complete) {
    reasons.push(`Hold: the baseline did not finish every training cell (${baselineCampaign.failed[0]?.error ?? 'budget exhausted or aborted'}); nothing can be compared.`)
    return result('hold')
  }
  const seen = new Set([baselineCampaign.surfaceHash])
  let incumbent = baseline
  const rationales = new Map<string, string>()

  for (let generation = 0; generation < maxGenerations; generation++) {
    if (signal.aborted || ledger.exhausted()) {
      reasons.push(signal.aborted ? `Stopped before generation ${generation}: aborted.` : `Stopped before generation ${generation}: the budget of $${ledger.budgetUsd} is spent.`)
      break
    }
    const record: GenerationRecord = { generation, candidates: [], rejected: [] }
    generations.push(record)
    let proposals: Array<T | ProposedCandidate<T>>
    try {
      proposals = await options.driver.propose({
        generation,
        populationSize,
        baseline,
        incumbent,
        paretoParents: paretoFrontier(parents),
        seenHashes: seen,
        rng: seededRng(deriveSeed(seed, 'generation', generation)),
        signal,
        recordUsage: (u) => ledger.add(u),
      })
    } catch (err) {
      reasons.push(`Stopped at generation ${generation}: the proposer failed: ${err instanceof Error ? err.message : String(err)}.`)
      break
    }
    record.rejected.push(...(options.driver.lastRejected?.() ?? []))
    for (const [i, raw] of proposals.slice(0, populationSize).entries()) {
      const p = normalise(raw, i, generation)
      const hash = await hashSurface(p.surface)
      if (seen.has(hash)) {
        record.rejected.push({ label: p.label, reason: 'duplicate of a candidate already evaluated' })
        continue
      }
      seen.add(hash)
      const camp = await campaign(p.surface, options.scenarios)
      const promoted = camp.complete && camp.composite > incumbent.composite
      record.candidates.push({ label: p.label, rationale: p.rationale, surfaceHash: hash, composite: camp.composite, complete: camp.complete, promoted })
      log(`generation ${generation}: '${p.label}' training composite ${camp.composite.toFixed(3)}${camp.complete ? '' : ' (incomplete)'}${promoted ? ' → incumbent' : ''}`)
      if (!camp.complete) continue
      const parent: ParetoParent<T> = { surface: p.surface, surfaceHash: hash, label: p.label, objectives: camp.scenarioMeans, composite: camp.composite, generation, campaign: camp }
      parents.push(parent)
      rationales.set(hash, p.rationale)
      if (promoted) incumbent = parent
    }
  }

  const contenders = parents
    .filter((p) => p.generation >= 0 && p.composite > baseline.composite)
    .sort((a, b) => b.composite - a.composite || a.generation - b.generation)
    .slice(0, promoteTopK)
  if (contenders.length === 0) {
    const best = [...parents].filter((p) => p.generation >= 0).sort((a, b) => b.composite - a.composite)[0]
    reasons.push(
      best
        ? `Hold: no candidate beat the baseline on the training scenarios (best '${best.label}' ${best.composite.toFixed(3)} vs baseline ${baseline.composite.toFixed(3)}); the baseline stays.`
        : generations.some((g) => g.candidates.length > 0)
          ? `Hold: no candidate finished its training campaign (${generations.reduce((n, g) => n + g.candidates.length, 0)} proposed; see the stop reason above); the baseline stays.`
          : 'Hold: no candidate was proposed; the baseline stays.',
    )
    return result('hold')
  }
  const gateIds = new Set(options.gate.scenarios.map((s) => s.id))
  const gateResult = await options.gate.decide({
    baseline: options.baselineSurface,
    candidates: contenders.map((c) => ({ id: c.surfaceHash, label: c.label, surface: c.surface })),
    signal,
    async evaluate(surface, scenarios) {
      const seenBySelection = scenarios.filter((s) => trainIds.has(s.id) || !gateIds.has(s.id)).map((s) => s.id)
      if (seenBySelection.length) throw new ConfigError(`gate '${options.gate.name}' asked to score scenario(s) ${seenBySelection.join(', ')} that are not its own held-out scenarios.`)
      return campaign(surface, scenarios as readonly S[])
    },
  })
  reasons.push(...gateResult.reasons)
  log(`gate '${options.gate.name}': ${gateResult.decision}`)
  const top = contenders[0]!
  const shipped = gateResult.decision === 'ship' ? contenders.find((c) => c.surfaceHash === gateResult.winner) : undefined
  const shown = shipped ?? top
  return result(shipped ? 'ship' : 'hold', {
    winnerSurface: shipped ? shipped.surface : options.baselineSurface,
    bestCandidate: { surface: shown.surface, label: shown.label, rationale: rationales.get(shown.surfaceHash) ?? '', trainComposite: shown.composite },
    gateResult,
    usage: { ...ledger.usage },
    budgetExhausted: ledger.exhausted(),
  })
}
