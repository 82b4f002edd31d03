/**
 * The campaign runner: one surface over scenarios × reps, bounded concurrency,
 * every output scored by every judge, finished cells cached in storage so a
 * killed campaign resumes where it stopped, spend booked in a ledger.
 */
import { ValidationError, canonicalJson } from '@tangle-network/agent-runtime-core'
import { deriveSeed } from './rng.js'
import type { CampaignResult, CampaignStorage, CellRecord, FailedCell, Judge, RunWithSurface, Scenario, Usage } from './types.js'

/** Longest output text kept on a cell record. */
const MAX_OUTPUT_CHARS = 2000

/** A running total of tokens and dollars with an optional cap. @experimental */
export interface UsageLedger {
  readonly usage: Usage
  /** The cap in dollars, if any. */
  readonly budgetUsd?: number
  add(usage: Partial<Usage>): void
  /** True once spend reached the cap: no new cell or reflection call may start. */
  exhausted(): boolean
}

/**
 * A token and cost ledger. With `budgetUsd`, {@link UsageLedger.exhausted} turns
 * true once spend reaches it, and campaigns stop starting cells.
 * @experimental
 * @example
 * const ledger = createUsageLedger({ budgetUsd: 5 }); ledger.add({ costUsd: 0.2, tokensIn: 900 })
 */
export function createUsageLedger(options: { budgetUsd?: number } = {}): UsageLedger {
  if (options.budgetUsd !== undefined && !(options.budgetUsd >= 0)) {
    throw new ValidationError(`createUsageLedger: budgetUsd must be a number >= 0; received ${String(options.budgetUsd)}.`)
  }
  const usage: Usage = { tokensIn: 0, tokensOut: 0, costUsd: 0 }
  return {
    usage,
    budgetUsd: options.budgetUsd,
    add(u) {
      usage.tokensIn += u.tokensIn ?? 0
      usage.tokensOut += u.tokensOut ?? 0
      usage.costUsd += u.costUsd ?? 0
    },
    exhausted: () => options.budgetUsd !== undefined && usage.costUsd >= options.budgetUsd,
  }
}

/**
 * A stable hash of a surface (a prompt string or any JSON value): the first
 * 16 hex characters of SHA-256 over its canonical JSON. Uses Web Crypto.
 * @experimental
 * @example
 * await hashSurface('You are a careful assistant.') // '3f0c…' (16 hex chars)
 */
export async function hashSurface(surface: unknown): Promise<string> {
  const text = typeof surface === 'string' ? surface : canonicalJson(surface)
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)]
    .slice(0, 8)
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
}

/** Options of {@link runCampaign}. @experimental */
export interface CampaignOptions<T, S extends Scenario = Scenario, O = unknown> {
  surface: T
  scenarios: readonly S[]
  judges: readonly Judge<S, O>[]
  run: RunWithSurface<T, S, O>
  storage: CampaignStorage
  /** Repetitions of each scenario (default 1). */
  reps?: number
  /** Base seed of the per-cell seeds (default 42). */
  seed?: number
  /** Cells in flight at once (default 4). */
  maxConcurrency?: number
  /** Shared ledger; a fresh uncapped one by default. */
  ledger?: UsageLedger
  signal?: AbortSignal
  /** Called after each cell finishes (fresh or reused). */
  onCell?(record: CellRecord, reused: boolean): void
}

/** Cell key in storage. */
export function cellKey(surfaceHash: string, seed: number, scenarioId: string, rep: number): string {
  return `${surfaceHash}:${seed}:${scenarioId}:${rep}`
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/**
 * Runs one surface over scenarios × reps. Cells already in `storage` are
 * reused; new cells run at most `maxConcurrency` at a time and are stored as
 * soon as they finish. A cell whose agent or judge throws is recorded as
 * failed (and retried by the next run), never scored 0.
 * @experimental
 * @example
 * const result = await runCampaign({ surface: prompt, scenarios, judges, run: runWithPrompt, storage: createMemoryCampaignStorage(), reps: 2 })
 * result.composite // mean of the per-scenario means
 */
export async function runCampaign<T, S extends Scenario = Scenario, O = unknown>(options: CampaignOptions<T, S, O>): Promise<CampaignResult> {
  const reps = options.reps ?? 1
  const seed = options.seed ?? 42
  const maxConcurrency = options.maxConcurrency ?? 4
  if (!Number.isInteger(reps) || reps < 1) throw new ValidationError(`runCampaign: reps must be a positive integer; received ${String(reps)}.`)
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new ValidationError(`runCampaign: maxConcurrency must be a positive integer; received ${String(maxConcurrency)}.`)
  }
  if (options.judges.length === 0) throw new ValidationError('runCampaign: `judges` is empty; give at least one judge.')
  const ledger = options.ledger ?? createUsageLedger()
  const signal = options.signal ?? new AbortController().signal
  const surfaceHash = await hashSurface(options.surface)
  const work = options.scenarios.flatMap((scenario) => Array.from({ length: reps }, (_, rep) => ({ scenario, rep })))
  const cells: Array<CellRecord | undefined> = new Array(work.length)
  const failed: FailedCell[] = []
  const usage: Usage = { tokensIn: 0, tokensOut: 0, costUsd: 0 }
  let reused = 0
  let skipped = 0
  let next = 0

  const runOne = async (index: number): Promise<void> => {
    const { scenario, rep } = work[index]!
    const cellId = `${scenario.id}:${rep}`
    const cellSeed = deriveSeed(seed, scenario.id, rep)
    const key = cellKey(surfaceHash, seed, scenario.id, rep)
    const stored = await options.storage.get(key)
    if (stored) {
      cells[index] = stored
      reused++
      options.onCell?.(stored, true)
      return
    }
    if (signal.aborted || ledger.exhausted()) {
      skipped++
      return
    }
    const cellUsage: Usage = { tokensIn: 0, tokensOut: 0, costUsd: 0 }
    const recordUsage = (u: Partial<Usage>) => {
      cellUsage.tokensIn += u.tokensIn ?? 0
      cellUsage.tokensOut += u.tokensOut ?? 0
      cellUsage.costUsd += u.costUsd ?? 0
      ledger.add(u)
      usage.tokensIn += u.tokensIn ?? 0
      usage.tokensOut += u.tokensOut ?? 0
      usage.costUsd += u.costUsd ?? 0
    }
    try {
      const output = await options.run(options.surface, scenario, { cellId, rep, seed: cellSeed, signal, recordUsage })
      const scores: Record<string, number> = {}
      const notes: Record<string, string> = {}
      for (const judge of options.judges) {
        const verdict = await judge.score(output, scenario)
        const score = typeof verdict === 'number' ? verdict : verdict.score
        if (!(score >= 0 && score <= 1)) {
          throw new ValidationError(`judge '${judge.name}' scored ${String(score)} on cell ${cellId}; scores must be in [0, 1].`)
        }
        scores[judge.name] = score
        if (typeof verdict === 'object' && verdict.notes) notes[judge.name] = verdict.notes
      }
      const values = Object.values(scores)
      const text = typeof output === 'string' ? output : (JSON.stringify(output) ?? String(output))
      const record: CellRecord = {
        key,
        surfaceHash,
        seed,
        scenarioId: scenario.id,
        rep,
        cellId,
        value: values.reduce((a, b) => a + b, 0) / values.length,
        scores,
        notes,
        output: text.length > MAX_OUTPUT_CHARS ? `${text.slice(0, MAX_OUTPUT_CHARS)}…` : text,
        usage: cellUsage,
      }
      await options.storage.put(record)
      cells[index] = record
      options.onCell?.(record, false)
    } catch (err) {
      failed.push({ scenarioId: scenario.id, rep, cellId, error: errorText(err) })
    }
  }

  const worker = async () => {
    while (next < work.length) await runOne(next++)
  }
  await Promise.all(Array.from({ length: Math.min(maxConcurrency, work.length) }, worker))

  const finished = cells.filter((c): c is CellRecord => c !== undefined)
  const scenarioMeans: Record<string, number> = {}
  for (const scenario of options.scenarios) {
    const own = finished.filter((c) => c.scenarioId === scenario.id)
    if (own.length === reps) scenarioMeans[scenario.id] = own.reduce((a, c) => a + c.value, 0) / reps
  }
  const means = Object.values(scenarioMeans)
  return {
    surfaceHash,
    cells: finished,
    failed: failed.sort((a, b) => a.cellId.localeCompare(b.cellId)),
    skipped,
    scenarioMeans,
    composite: means.length ? means.reduce((a, b) => a + b, 0) / means.length : 0,
    complete: finished.length === work.length,
    reused,
    usage,
  }
}
