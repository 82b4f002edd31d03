import { AgentRuntimeError, type Clock, systemClock, ValidationError } from '@tangle-network/agent-runtime-core'
import { diffFindings, type FindingsDiff } from './diff.js'
import type { FindingsStore } from './findings-store.js'
import type { SurfaceAdapter, SurfaceAdapterContext, SurfaceApplyOutcome, SurfaceProposal, SurfaceReport, WithheldProposal } from './surface-adapter.js'
import type { AnalystContext, AnalystFinding, AnalystRegistry, AnalystRunResult, AnalystStreamEvent } from './types.js'

/** How prior findings reach the analysts: as a list, as `{'*': list}`, or not at all. @experimental */
export type PriorFindingsStrategy = 'per-kind' | 'wildcard' | 'none'

/** When proposals may be applied without review. @experimental */
export interface AnalystLoopAutoApply {
  knowledge?: boolean
  /** Default 0.85. */
  knowledgeConfidenceThreshold?: number
  improvement?: boolean
  /** Default 0.9. */
  improvementConfidenceThreshold?: number
}

/** Events of {@link runAnalystLoop}, in this order; each is awaited. @experimental */
export type AnalystLoopEvent =
  | { type: 'baseline-resolved'; runId: string; baselineRunId: string | null; source: 'explicit' | 'latest' | 'none' }
  | { type: 'analyst'; runId: string; event: AnalystStreamEvent }
  | { type: 'findings-persisted'; runId: string; count: number; persisted: boolean }
  | { type: 'diff-computed'; runId: string; diff: FindingsDiff | null }
  | { type: 'knowledge-proposed'; runId: string; items: SurfaceProposal[] }
  | { type: 'knowledge-applied'; runId: string; report: SurfaceReport }
  | { type: 'improvement-proposed'; runId: string; items: SurfaceProposal[] }
  | { type: 'improvement-applied'; runId: string; report: SurfaceReport }
  | { type: 'loop-completed'; runId: string; result: AnalystLoopResult }

/** Options of {@link runAnalystLoop}. @experimental */
export interface AnalystLoopOptions<Input = unknown> {
  runId: string
  registry: AnalystRegistry<Input>
  inputs: Input
  /** Where findings persist; `null` runs without persistence (no baseline lookup, no diff unless none is needed). */
  findingsStore: FindingsStore | null
  /** Explicit baseline run; `null` for none; omitted → the latest other run in the store. */
  baselineRunId?: string | null
  /** Default `per-kind`. */
  priorFindingsStrategy?: PriorFindingsStrategy
  knowledgeAdapter?: SurfaceAdapter
  improvementAdapter?: SurfaceAdapter
  autoApply?: AnalystLoopAutoApply
  log?: (message: string, data?: Record<string, unknown>) => void
  /** Awaited for each event; a throw aborts the loop. */
  onEvent?: (event: AnalystLoopEvent) => void | Promise<void>
  signal?: AbortSignal
  clock?: Clock
}

/** What {@link runAnalystLoop} returns. @experimental */
export interface AnalystLoopResult {
  runId: string
  baselineRunId: string | null
  analystResult: AnalystRunResult
  diff: FindingsDiff | null
  knowledge: SurfaceReport | null
  improvement: SurfaceReport | null
}

async function runSurface(
  adapter: SurfaceAdapter,
  findings: readonly AnalystFinding[],
  ctx: SurfaceAdapterContext,
  enabled: boolean,
  threshold: number,
  emitProposed: (items: SurfaceProposal[]) => Promise<void>,
): Promise<SurfaceReport> {
  const proposed = await adapter.propose(findings, ctx)
  await emitProposed(proposed)
  const byId = new Map(findings.map((f) => [f.finding_id, f]))
  const withheld: WithheldProposal[] = []
  const eligible: SurfaceProposal[] = []
  for (const item of proposed) {
    const source = byId.get(item.sourceFindingId)
    if (!enabled) withheld.push({ item, reason: `auto-apply of ${adapter.surface} is off` })
    else if (!adapter.apply) withheld.push({ item, reason: `the ${adapter.surface} adapter has no apply()` })
    else if (!source) withheld.push({ item, reason: `source finding ${item.sourceFindingId} is not in this run` })
    else if (source.confidence < threshold) withheld.push({ item, reason: `confidence ${source.confidence} is below the ${adapter.surface} threshold ${threshold}` })
    else eligible.push(item)
  }
  let applied: SurfaceApplyOutcome[] = []
  const rejected: WithheldProposal[] = []
  if (eligible.length > 0 && adapter.apply) {
    const outcomes = await adapter.apply(eligible, ctx)
    applied = outcomes.filter((o) => o.applied)
    for (const o of outcomes) {
      if (o.applied) continue
      const entry = { item: o.item, reason: o.reason ?? `${adapter.surface} adapter did not apply it` }
      if (o.rejected) rejected.push(entry)
      else withheld.push(entry)
    }
  }
  return { surface: adapter.surface, proposed, applied, withheld_for_review: withheld, rejected }
}

function checkThreshold(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt
  if (!(v >= 0 && v <= 1)) throw new ValidationError(`runAnalystLoop: autoApply.${name} must be in [0, 1] (got ${v}).`)
  return v
}

/**
 * Mines traces into findings and applies them to surfaces: resolves the
 * baseline, runs the analyst registry (streaming when `onEvent` is given),
 * persists findings before any adapter runs, diffs them against the
 * baseline, lets adapters propose, and applies only above the confidence
 * thresholds with auto-apply on; everything else is `withheld_for_review`.
 * @experimental
 * @example
 * const result = await runAnalystLoop({ runId: 'audit-42', registry, inputs: { traces, runIds }, findingsStore, knowledgeAdapter, autoApply: { knowledge: true } })
 * console.log(result.diff?.new, result.knowledge?.withheld_for_review)
 */
export async function runAnalystLoop<Input>(options: AnalystLoopOptions<Input>): Promise<AnalystLoopResult> {
  const { runId, registry, findingsStore, onEvent, log, signal } = options
  if (typeof runId !== 'string' || runId.trim() === '') throw new ValidationError('runAnalystLoop: runId must be a non-blank string.')
  if (!registry || typeof registry.run !== 'function') throw new ValidationError('runAnalystLoop: registry must have run() (see createAnalystRegistry).')
  const strategy = options.priorFindingsStrategy ?? 'per-kind'
  if (!['per-kind', 'wildcard', 'none'].includes(strategy)) throw new ValidationError(`runAnalystLoop: priorFindingsStrategy '${strategy}' is not one of per-kind, wildcard, none.`)
  const kThreshold = checkThreshold('knowledgeConfidenceThreshold', options.autoApply?.knowledgeConfidenceThreshold, 0.85)
  const iThreshold = checkThreshold('improvementConfidenceThreshold', options.autoApply?.improvementConfidenceThreshold, 0.9)
  const clock = options.clock ?? systemClock
  const emit = async (event: AnalystLoopEvent) => {
    if (onEvent) await onEvent(event)
  }
  const checkAbort = () => {
    if (signal?.aborted) throw new AgentRuntimeError('state', `runAnalystLoop(${runId}): aborted`, { cause: signal.reason })
  }

  // 1. Baseline.
  let baselineRunId: string | null = null
  let source: 'explicit' | 'latest' | 'none' = 'none'
  if (typeof options.baselineRunId === 'string') {
    baselineRunId = options.baselineRunId
    source = 'explicit'
  } else if (options.baselineRunId === undefined && findingsStore) {
    baselineRunId = await findingsStore.latestRunId({ excluding: runId })
    source = baselineRunId ? 'latest' : 'none'
  }
  await emit({ type: 'baseline-resolved', runId, baselineRunId, source })
  log?.('baseline resolved', { runId, baselineRunId, source })
  const baselineFindings = baselineRunId && findingsStore ? await findingsStore.list(baselineRunId) : []

  // 2. Prior findings, 3. analysts.
  const priorFindings: AnalystContext['priorFindings'] = strategy === 'none' ? undefined : strategy === 'wildcard' ? { '*': baselineFindings } : baselineFindings
  checkAbort()
  let analystResult: AnalystRunResult | undefined
  if (registry.runStream && onEvent) {
    for await (const event of registry.runStream(options.inputs, { runId, priorFindings, signal })) {
      await emit({ type: 'analyst', runId, event })
      if (event.type === 'run-completed') analystResult = event.result
    }
    if (!analystResult) throw new AgentRuntimeError('state', `runAnalystLoop(${runId}): the registry stream ended without a run-completed event.`)
  } else {
    analystResult = await registry.run(options.inputs, { runId, priorFindings, signal })
  }
  for (const e of analystResult.errors) log?.('analyst error', { analystId: e.analyst_id, message: e.message })
  const findings = analystResult.findings

  // 4. Persist before any adapter, then diff.
  if (findingsStore) await findingsStore.save(runId, findings, { createdAt: clock() })
  await emit({ type: 'findings-persisted', runId, count: findings.length, persisted: findingsStore !== null })
  const diff = baselineRunId && findingsStore ? diffFindings(baselineFindings, findings) : null
  await emit({ type: 'diff-computed', runId, diff })
  checkAbort()

  // 5. Adapters propose; apply only with auto-apply over the thresholds.
  const ctx: SurfaceAdapterContext = { runId, baselineRunId, diff, signal }
  let knowledge: SurfaceReport | null = null
  if (options.knowledgeAdapter) {
    knowledge = await runSurface(options.knowledgeAdapter, findings, ctx, options.autoApply?.knowledge === true, kThreshold, (items) =>
      emit({ type: 'knowledge-proposed', runId, items }),
    )
    await emit({ type: 'knowledge-applied', runId, report: knowledge })
  }
  checkAbort()
  let improvement: SurfaceReport | null = null
  if (options.improvementAdapter) {
    improvement = await runSurface(options.improvementAdapter, findings, ctx, options.autoApply?.improvement === true, iThreshold, (items) =>
      emit({ type: 'improvement-proposed', runId, items }),
    )
    await emit({ type: 'improvement-applied', runId, report: improvement })
  }
  const result: AnalystLoopResult = { runId, baselineRunId, analystResult, diff, knowledge, improvement }
  await emit({ type: 'loop-completed', runId, result })
  return result
}
