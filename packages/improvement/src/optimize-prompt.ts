/**
 * `optimizePrompt`: identity-gated prompt optimisation. The returned `prompt`
 * is the baseline unless the held-out gate decided `ship`, so registering a
 * prompt for optimisation can never regress it.
 */
import { type AgentExecutionBackend, type Clock, ConfigError } from '@tangle-network/agent-runtime-core'
import { createUsageLedger, runCampaign } from './campaign.js'
import { heldOutGate } from './gate.js'
import { gepaDriver } from './gepa.js'
import { type ImprovementLoopResult, runImprovementLoop } from './loop.js'
import { lineDiff } from './text-edits.js'
import type { CampaignStorage, Gate, GateResult, ImprovementDriver, Judge, RunWithSurface, Scenario } from './types.js'

/** Commits a shipped prompt somewhere reviewable (a branch and a PR command). @experimental */
export type PromptPromoter = (promotion: { prompt: string; baselinePrompt: string; label: string; rationale: string; reasons: string[]; delta: number }) => Promise<PromotionRecord>

/** What a promoter did. @experimental */
export interface PromotionRecord {
  branch: string
  commit: string
  /** The `gh pr create` command, as argv, that opens the pull request. */
  command: string[]
}

/** Options of {@link optimizePrompt}. @experimental */
export interface OptimizePromptOptions<S extends Scenario = Scenario, O = unknown> {
  baselinePrompt: string
  runWithPrompt: RunWithSurface<string, S, O>
  /** Training scenarios (selection). */
  scenarios: readonly S[]
  /** Held-out scenarios (the gate); disjoint from `scenarios`. */
  holdoutScenarios: readonly S[]
  judges: readonly Judge<S, O>[]
  /** Folder of the campaign; cells are cached there as JSON lines unless `storage` is given. */
  runDir: string
  /** The reflection model for the default {@link gepaDriver}. */
  reflection?: {
    llm: AgentExecutionBackend
    model?: string
    target?: string
    mutationPrimitives?: readonly string[]
    preserveSections?: readonly string[]
    maxSentenceEdits?: number
  }
  driver?: ImprovementDriver<string>
  /** Default: `heldOutGate({ scenarios: holdoutScenarios, alpha, minDelta })`. */
  gate?: Gate<string>
  /** The lift the gate must prove (default 0). `deltaThreshold` is the reference's name for it. */
  minDelta?: number
  deltaThreshold?: number
  /** One-sided level of the default gate (default 0.025). */
  alpha?: number
  populationSize?: number
  maxGenerations?: number
  promoteTopK?: number
  storage?: CampaignStorage
  seed?: number
  reps?: number
  maxConcurrency?: number
  budgetUsd?: number
  now?: Clock
  signal?: AbortSignal
  onProgress?(message: string): void
  /** `'pr'` commits the shipped prompt on a branch and prints the `gh pr create` command; default `'none'`. */
  autoOnPromote?: 'none' | 'pr'
  /** With `'pr'`: the repository and the file (relative to it) that holds the prompt. */
  repoDir?: string
  promptFile?: string
  ghOwner?: string
  ghRepo?: string
  /** Overrides the git promoter used by `'pr'`. */
  promoter?: PromptPromoter
}

/** What {@link optimizePrompt} returns. Assign `prompt` unconditionally: it is the baseline unless `decision === 'ship'`. @experimental */
export interface OptimizePromptResult {
  prompt: string
  improved: boolean
  decision: 'ship' | 'hold'
  reasons: string[]
  /** Mean of the held-out per-scenario means, baseline and returned prompt. */
  baselineComposite: number
  winnerComposite: number
  /** The gate's paired mean difference (0 when nothing reached the gate). */
  delta: number
  rationale?: string
  /** Line diff from the baseline to `prompt` (empty unless shipped). */
  diff: string
  /** The PR branch and command when `autoOnPromote: 'pr'` shipped. */
  pr?: PromotionRecord
  raw: ImprovementLoopResult<string>
}

const NODE_ENTRY = '@tangle-network/agent-runtime-improvement/node'

async function loadNodeEntry(need: string): Promise<typeof import('./node/index.js')> {
  try {
    return (await import(NODE_ENTRY)) as typeof import('./node/index.js')
  } catch (err) {
    throw new ConfigError(`optimizePrompt: ${need} needs Node's file system (${NODE_ENTRY}); on this runtime pass it explicitly.`, { cause: err })
  }
}

/**
 * Optimises a text prompt: evaluates it, proposes edits (default
 * {@link gepaDriver} over `reflection.llm`), and returns a candidate only when
 * the held-out gate ships it; otherwise the baseline, with the reasons.
 * @experimental
 * @example
 * const { prompt, improved, delta } = await optimizePrompt({
 *   baselinePrompt: CURRENT_SYSTEM_PROMPT, runWithPrompt: (p, scenario) => runYourThing(p, scenario),
 *   scenarios, holdoutScenarios, judges, runDir: '.agent-runtime/optimize', reflection: { llm, model: 'claude-sonnet-4-6' },
 * })
 */
export async function optimizePrompt<S extends Scenario = Scenario, O = unknown>(options: OptimizePromptOptions<S, O>): Promise<OptimizePromptResult> {
  if (typeof options?.baselinePrompt !== 'string') throw new ConfigError('optimizePrompt: `baselinePrompt` must be a string (the prompt to improve).')
  if (!options.driver && !options.reflection) throw new ConfigError('optimizePrompt: give `reflection: { llm, model }` (for the default gepaDriver) or a `driver`.')
  if (!options.scenarios?.length) throw new ConfigError('optimizePrompt: `scenarios` is empty; give the training scenarios candidates are selected on.')
  if (!options.holdoutScenarios?.length) throw new ConfigError('optimizePrompt: `holdoutScenarios` is empty; the gate needs held-out scenarios selection never sees.')
  if (!options.judges?.length) throw new ConfigError('optimizePrompt: `judges` is empty; give at least one judge scoring outputs on [0, 1].')
  if (!options.runDir && !options.storage) throw new ConfigError('optimizePrompt: `runDir` is required (the folder that keeps the campaign), or pass `storage`.')
  const autoOnPromote = options.autoOnPromote ?? 'none'
  if (autoOnPromote !== 'none' && autoOnPromote !== 'pr') throw new ConfigError(`optimizePrompt: autoOnPromote must be 'none' or 'pr'; received '${String(autoOnPromote)}'.`)
  if (autoOnPromote === 'pr' && !options.promoter && !(options.repoDir && options.promptFile)) {
    throw new ConfigError("optimizePrompt: autoOnPromote 'pr' needs `repoDir` and `promptFile` (where the prompt lives in your repository), or a `promoter`.")
  }
  const trainIds = new Set(options.scenarios.map((s) => s.id))
  const overlap = options.holdoutScenarios.filter((s) => trainIds.has(s.id)).map((s) => s.id)
  if (overlap.length) throw new ConfigError(`optimizePrompt: scenario(s) ${overlap.join(', ')} are in both scenarios and holdoutScenarios; held-out scenarios must be unseen by selection.`)

  const storage = options.storage ?? (await (await loadNodeEntry('the default JSON-lines storage')).createJsonlCampaignStorage({ runDir: options.runDir }))
  const driver = options.driver ?? gepaDriver({ ...options.reflection!, now: options.now })
  const gate = options.gate ?? heldOutGate<string>({ scenarios: options.holdoutScenarios, alpha: options.alpha, minDelta: options.minDelta ?? options.deltaThreshold })
  const ledger = createUsageLedger({ budgetUsd: options.budgetUsd })
  try {
    const raw = await runImprovementLoop<string, S, O>({
      baselineSurface: options.baselinePrompt,
      runWithSurface: options.runWithPrompt,
      scenarios: options.scenarios,
      judges: options.judges,
      driver,
      gate,
      storage,
      populationSize: options.populationSize,
      maxGenerations: options.maxGenerations,
      promoteTopK: options.promoteTopK,
      reps: options.reps,
      seed: options.seed,
      maxConcurrency: options.maxConcurrency,
      ledger,
      signal: options.signal,
      onProgress: options.onProgress,
    })
    if (typeof raw.winnerSurface !== 'string') throw new ConfigError('optimizePrompt: the driver returned a non-string surface; optimizePrompt optimises text prompts only.')
    const gateResult: GateResult | undefined = raw.gateResult
    let baselineComposite = gateResult?.baselineComposite
    if (baselineComposite === undefined) {
      const holdout = await runCampaign({ surface: options.baselinePrompt, scenarios: options.holdoutScenarios, judges: options.judges, run: options.runWithPrompt, storage, reps: options.reps, seed: options.seed, maxConcurrency: options.maxConcurrency, ledger, signal: options.signal })
      baselineComposite = holdout.composite
    }
    const shipped = raw.decision === 'ship'
    const prompt = shipped ? raw.winnerSurface : options.baselinePrompt
    const winnerComposite = gateResult?.winnerComposite ?? baselineComposite
    const result: OptimizePromptResult = {
      prompt,
      improved: shipped && prompt !== options.baselinePrompt,
      decision: raw.decision,
      reasons: raw.reasons,
      baselineComposite,
      winnerComposite,
      delta: gateResult?.delta ?? winnerComposite - baselineComposite,
      ...(shipped && raw.bestCandidate ? { rationale: raw.bestCandidate.rationale } : {}),
      diff: lineDiff(options.baselinePrompt, prompt),
      raw,
    }
    if (shipped && autoOnPromote === 'pr') {
      const promoter =
        options.promoter ??
        (await loadNodeEntry("autoOnPromote 'pr'")).createGitPrPromoter({ repoDir: options.repoDir!, promptFile: options.promptFile!, ghOwner: options.ghOwner, ghRepo: options.ghRepo, log: options.onProgress })
      result.pr = await promoter({ prompt, baselinePrompt: options.baselinePrompt, label: raw.bestCandidate?.label ?? 'candidate', rationale: result.rationale ?? '', reasons: raw.reasons, delta: result.delta })
    }
    return result
  } finally {
    if (!options.storage) await storage.close?.()
  }
}
