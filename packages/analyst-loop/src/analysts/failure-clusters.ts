import { findingId } from '../diff.js'
import type { Analyst, AnalystFinding, EvidenceRef, FindingSeverity } from '../types.js'
import { type LoadedRun, loadRuns, median, type TraceAnalystInput } from './trace-input.js'

/** Options of {@link createFailureClusterAnalyst}. @experimental */
export interface FailureClusterAnalystOptions {
  /** Analyst id. Default `failure-clusters`. */
  id?: string
  /** A cluster needs at least this many runs (errors, tool failures). Default 1. */
  minRuns?: number
  /** A run costs an outlier above `costFactor` × the median cost. Default 3. */
  costFactor?: number
  /** An iteration is slow above `slowFactor` × the median duration. Default 3. */
  slowFactor?: number
  /** Outlier checks need at least this many samples. Default 4. */
  minSamples?: number
}

const ERROR_CLASS = /\b([A-Z][A-Za-z0-9]*(?:Error|Exception))\b/

function errorClassOf(payload: Record<string, unknown>): string {
  for (const key of ['errorClass', 'errorName', 'name']) {
    const v = payload[key]
    if (typeof v === 'string' && v.length > 0) return v
  }
  const err = payload.error
  if (err && typeof err === 'object' && typeof (err as { kind?: unknown }).kind === 'string') return `${(err as { kind: string }).kind}_error`
  const msg = typeof payload.message === 'string' ? payload.message : typeof err === 'string' ? err : ''
  return ERROR_CLASS.exec(msg)?.[1] ?? 'Error'
}

function isToolFailure(payload: Record<string, unknown>): boolean {
  if (payload.isError === true || payload.ok === false || payload.success === false) return true
  if (typeof payload.error === 'string' && payload.error.length > 0) return true
  const result = payload.result
  return !!result && typeof result === 'object' && ((result as { isError?: unknown }).isError === true || typeof (result as { error?: unknown }).error === 'string')
}

function durationOf(payload: Record<string, unknown>): number | undefined {
  for (const key of ['durationMs', 'latencyMs']) {
    const v = payload[key]
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v
  }
  return undefined
}

function severityFor(fraction: number): FindingSeverity {
  return fraction >= 0.5 ? 'high' : fraction >= 0.2 ? 'medium' : 'low'
}

const round = (x: number) => Math.round(x * 1000) / 1000
const runRef = (runId: string): EvidenceRef => ({ kind: 'run', uri: `trace://${runId}` })
const eventRef = (runId: string, seq: number): EvidenceRef => ({ kind: 'event', uri: `trace://${runId}#${seq}` })

type Cluster = { runs: Set<string>; refs: EvidenceRef[]; sample?: string }

function addTo(map: Map<string, Cluster>, key: string, runId: string, ref: EvidenceRef, sample?: string) {
  const c = map.get(key) ?? { runs: new Set<string>(), refs: [] }
  c.runs.add(runId)
  if (c.refs.length < 10) c.refs.push(ref)
  c.sample ??= sample
  map.set(key, c)
}

/**
 * The deterministic analyst: clusters failures in traces into findings.
 * Error classes (each run's first `backend_error`/`error` event, else a failed run's error), tool
 * failures (by tool name), cost outliers (runs above a multiple of the
 * median cost) and slow iterations (loop/LLM events above a multiple of the
 * median duration). Confidence grows with the share of runs affected.
 * @experimental
 * @example
 * const registry = createAnalystRegistry([createFailureClusterAnalyst({ minRuns: 2 })])
 */
export function createFailureClusterAnalyst(options: FailureClusterAnalystOptions = {}): Analyst<TraceAnalystInput> {
  const id = options.id ?? 'failure-clusters'
  const minRuns = options.minRuns ?? 1
  const costFactor = options.costFactor ?? 3
  const slowFactor = options.slowFactor ?? 3
  const minSamples = options.minSamples ?? 4
  const make = (area: string, severity: FindingSeverity, claim: string, refs: EvidenceRef[], confidence: number, recommended_action: string, subject?: string): AnalystFinding => ({
    finding_id: findingId({ analyst_id: id, area, claim: area, subject }),
    analyst_id: id,
    severity,
    area,
    claim,
    evidence_refs: refs,
    recommended_action,
    confidence: round(Math.min(0.99, confidence)),
    ...(subject ? { subject } : {}),
  })
  return {
    id,
    description: 'Clusters failures in traces: error classes, tool failures, cost outliers, slow iterations.',
    inputKind: 'trace-store',
    cost: { kind: 'deterministic' },
    version: '1',
    async analyze(input) {
      const loaded: LoadedRun[] = await loadRuns(input)
      const total = loaded.length
      if (total === 0) return []
      const errors = new Map<string, Cluster>()
      const tools = new Map<string, Cluster>()
      for (const { run, events } of loaded) {
        let sawErrorEvent = false
        for (const e of events) {
          if (e.type === 'backend_error' || e.type === 'error') {
            // A run's first error is its root cause; later ones (e.g. the runner's wrap-up) are consequences.
            if (sawErrorEvent) continue
            sawErrorEvent = true
            addTo(errors, errorClassOf(e.payload), run.runId, eventRef(run.runId, e.seq), typeof e.payload.message === 'string' ? e.payload.message : undefined)
          } else if (e.type === 'tool_result' && isToolFailure(e.payload)) {
            const tool = typeof e.payload.toolName === 'string' ? e.payload.toolName : 'unknown'
            addTo(tools, tool, run.runId, eventRef(run.runId, e.seq))
          }
        }
        if (run.status === 'failed' && !sawErrorEvent) addTo(errors, ERROR_CLASS.exec(run.error ?? '')?.[1] ?? 'Error', run.runId, runRef(run.runId), run.error)
      }
      const findings: AnalystFinding[] = []
      for (const [cls, c] of [...errors.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (c.runs.size < minRuns) continue
        const share = c.runs.size / total
        findings.push(
          make(`error:${cls}`, severityFor(share), `${c.runs.size} of ${total} runs hit ${cls}${c.sample ? ` (e.g. "${c.sample.slice(0, 120)}")` : ''}`, c.refs, 0.5 + share / 2, `Handle ${cls}: add guidance or a fallback for it to the system prompt or tools.`),
        )
      }
      for (const [tool, c] of [...tools.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (c.runs.size < minRuns) continue
        const share = c.runs.size / total
        findings.push(make(`tool:${tool}`, severityFor(share), `tool ${tool} failed in ${c.runs.size} of ${total} runs`, c.refs, 0.5 + share / 2, `Check how the agent calls ${tool}: arguments, preconditions, retries.`, tool))
      }
      const costs = loaded.filter((l) => typeof l.run.costUsd === 'number' && l.run.costUsd > 0).map((l) => ({ runId: l.run.runId, cost: l.run.costUsd! }))
      if (costs.length >= minSamples) {
        const med = median(costs.map((c) => c.cost))
        const outliers = costs.filter((c) => med > 0 && c.cost > med * costFactor)
        if (outliers.length > 0) {
          findings.push(
            make('cost', 'medium', `${outliers.length} of ${costs.length} runs cost over ${costFactor}x the median ($${round(med)})`, outliers.map((o) => runRef(o.runId)), 0.6 + Math.min(0.3, outliers.length / costs.length), 'Cap iterations or context size for the expensive runs.'),
          )
        }
      }
      const durations: { runId: string; seq: number; ms: number }[] = []
      for (const { run, events } of loaded) {
        for (const e of events) {
          if (e.kind === 'loop' || e.type === 'llm_call' || e.type === 'iteration') {
            const ms = durationOf(e.payload)
            if (ms !== undefined) durations.push({ runId: run.runId, seq: e.seq, ms })
          }
        }
      }
      if (durations.length >= minSamples) {
        const med = median(durations.map((d) => d.ms))
        const slow = durations.filter((d) => med > 0 && d.ms > med * slowFactor)
        if (slow.length > 0) {
          findings.push(
            make('latency', 'low', `${slow.length} of ${durations.length} iterations took over ${slowFactor}x the median (${round(med)} ms)`, slow.slice(0, 10).map((d) => eventRef(d.runId, d.seq)), 0.55 + Math.min(0.3, slow.length / durations.length), 'Look at the slow iterations: tool timeouts, oversized prompts, retries.'),
          )
        }
      }
      return findings
    },
  }
}
