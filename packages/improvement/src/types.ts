/** Shared shapes of campaigns, judges, storage, proposers and gates. */

/**
 * One evaluation case. `id` is the pairing key; add any fields of your own
 * (functions are generic over `S extends Scenario`, so your own interface works).
 * @experimental
 */
export interface Scenario {
  id: string
  kind?: string
  tags?: readonly string[]
}

/** What a judge says about one output: a score in [0, 1], optionally with notes the proposer reads. @experimental */
export type JudgeVerdict = number | { score: number; notes?: string }

/** Scores every output of a campaign on [0, 1]. A throw marks the cell failed (never 0). @experimental */
export interface Judge<S extends Scenario = Scenario, O = unknown> {
  name: string
  score(output: O, scenario: S): JudgeVerdict | Promise<JudgeVerdict>
}

/** Tokens and dollars spent. @experimental */
export interface Usage {
  tokensIn: number
  tokensOut: number
  costUsd: number
}

/** What `runWithPrompt` receives besides the prompt and scenario. @experimental */
export interface CellContext {
  /** `"${scenario.id}:${rep}"`, the pairing key of the cell. */
  cellId: string
  rep: number
  /** A seed derived from the campaign seed, scenario and rep; the same on both arms of a comparison. */
  seed: number
  signal: AbortSignal
  /** Adds to the campaign's token and cost ledger. */
  recordUsage(usage: Partial<Usage>): void
}

/** The function under optimisation: run the agent with `surface` on `scenario`. @experimental */
export type RunWithSurface<T, S extends Scenario = Scenario, O = unknown> = (surface: T, scenario: S, ctx: CellContext) => O | Promise<O>

/** One finished cell, as stored. @experimental */
export interface CellRecord {
  /** Storage key: `${surfaceHash}:${seed}:${scenarioId}:${rep}`. */
  key: string
  surfaceHash: string
  seed: number
  scenarioId: string
  rep: number
  cellId: string
  /** Mean of the judges' scores. */
  value: number
  scores: Record<string, number>
  notes: Record<string, string>
  /** The output as text (truncated), for the proposer's evidence. */
  output: string
  usage: Usage
}

/** Where finished cells are kept so a killed campaign resumes without re-running them. @experimental */
export interface CampaignStorage {
  get(key: string): Promise<CellRecord | undefined>
  put(record: CellRecord): Promise<void>
  close?(): Promise<void>
}

/** A cell that did not finish: the agent or a judge threw, or a judge scored outside [0, 1]. @experimental */
export interface FailedCell {
  scenarioId: string
  rep: number
  cellId: string
  error: string
}

/** Everything one campaign (one surface × scenarios × reps) produced. @experimental */
export interface CampaignResult {
  surfaceHash: string
  cells: CellRecord[]
  failed: FailedCell[]
  /** Cells not run because the budget ran out or the signal aborted. */
  skipped: number
  /** Mean cell value per scenario (complete scenarios only). */
  scenarioMeans: Record<string, number>
  /** Mean of the scenario means. */
  composite: number
  /** True when every cell finished. */
  complete: boolean
  /** Cells served from storage rather than run. */
  reused: number
  /** Spend of the cells run now (reused cells cost nothing). */
  usage: Usage
}

/** A proposal: a full new surface with a label and the reason for it. @experimental */
export interface ProposedCandidate<T = string> {
  surface: T
  label: string
  rationale: string
}

/** A candidate on the Pareto frontier, with what it scored per scenario. @experimental */
export interface ParetoParent<T = string> {
  surface: T
  surfaceHash: string
  label: string
  objectives: Record<string, number>
  composite: number
  /** -1 for the baseline. */
  generation: number
  campaign: CampaignResult
}

/** What a proposer sees each generation. @experimental */
export interface ProposeContext<T = string> {
  generation: number
  populationSize: number
  baseline: ParetoParent<T>
  incumbent: ParetoParent<T>
  paretoParents: ParetoParent<T>[]
  /** Hashes already evaluated; proposing them again is wasted. */
  seenHashes: ReadonlySet<string>
  /** Seeded per generation. */
  rng: () => number
  signal: AbortSignal
  recordUsage(usage: Partial<Usage>): void
}

/** Proposes candidate surfaces each generation (GEPA, a code patcher, your own). @experimental */
export interface ImprovementDriver<T = string> {
  kind: string
  propose(ctx: ProposeContext<T>): Promise<Array<T | ProposedCandidate<T>>>
  /** Proposals the driver dropped last call, with reasons (for the record). */
  lastRejected?(): Array<{ label: string; reason: string }>
}

/** A candidate handed to the gate. @experimental */
export interface GateCandidate<T = string> {
  id: string
  label: string
  surface: T
}

/** What a gate gets: the arms and a way to score them on its own scenarios. @experimental */
export interface GateContext<T = string> {
  baseline: T
  candidates: GateCandidate<T>[]
  /** Scores a surface on scenarios with the campaign's reps and seeds; refuses any scenario selection saw. */
  evaluate(surface: T, scenarios: readonly Scenario[]): Promise<CampaignResult>
  signal: AbortSignal
}

/** One candidate's verdict. @experimental */
export interface CandidateVerdict {
  id: string
  label: string
  ship: boolean
  n: number
  meanDelta: number
  /** The candidate's held-out composite. */
  composite: number
  lowerBound: number
  pValue: number
  /** The Holm level it was tested at. */
  level?: number
  method: string
  reason: string
}

/** A gate's decision. `ship` is the only decision that may replace the baseline. @experimental */
export interface GateResult {
  decision: 'ship' | 'hold'
  reasons: string[]
  /** Id of the shipped candidate. */
  winner?: string
  delta?: number
  baselineComposite?: number
  winnerComposite?: number
  verdicts: CandidateVerdict[]
  contributingGates: Array<{ name: string; status: 'pass' | 'fail' | 'not_evaluated'; detail: string }>
}

/** Decides whether a candidate may replace the baseline. @experimental */
export interface Gate<T = string> {
  name: string
  /** The held-out scenarios it scores on; the loop checks selection never saw them. */
  scenarios: readonly Scenario[]
  decide(ctx: GateContext<T>): Promise<GateResult>
}
