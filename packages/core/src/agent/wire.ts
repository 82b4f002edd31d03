import { z } from 'zod'
import { ValidationError } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import type { TraceStore } from './trace-store.js'

/**
 * Version tag of the eval-runs wire format (see `docs/intelligence-wire.md`).
 * A reader must reject any other value: a new version means a breaking change.
 * @experimental
 */
export const INTELLIGENCE_WIRE_VERSION = 'agent-runtime.eval-runs/1' as const

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 timestamp')

const wireTrace = z.object({
  seq: z.number().int().min(0),
  kind: z.enum(['task', 'chat', 'loop']),
  type: z.string(),
  timestamp: iso,
  payload: z.record(z.string(), z.unknown()),
})

const wireOutcome = z.object({
  outcomeId: z.string(),
  kind: z.string(),
  value: z.number(),
  recordedAt: iso,
  metadata: z.record(z.string(), z.unknown()).optional(),
})

const wireRun = z.object({
  runId: z.string(),
  agentId: z.string(),
  personaId: z.string().optional(),
  variantId: z.string().optional(),
  status: z.enum(['running', 'completed', 'failed']),
  startedAt: iso,
  endedAt: iso.optional(),
  durationMs: z.number().min(0).optional(),
  output: z.unknown().optional(),
  scores: z.record(z.string(), z.number()).optional(),
  composite: z.number().optional(),
  costUsd: z.number().optional(),
  error: z.string().optional(),
  traces: z.array(wireTrace),
  outcomes: z.array(wireOutcome),
})

const wireExport = z.object({
  wireVersion: z.literal(INTELLIGENCE_WIRE_VERSION),
  exportedAt: iso,
  runs: z.array(wireRun),
})

/** One run on the wire: the run row, its traces and its outcomes. @experimental */
export type EvalRunWire = z.infer<typeof wireRun>
/** A whole export document. @experimental */
export type EvalRunsExport = z.infer<typeof wireExport>

/** Which runs {@link exportEvalRuns} includes. @experimental */
export interface ExportEvalRunsOptions {
  agentId?: string
  /** Only runs started at or after this epoch-ms time. */
  since?: number
  /** Only these runs (in this order); unknown ids are skipped. */
  runIds?: readonly string[]
  clock?: Clock
}

const toIso = (ms: number) => new Date(ms).toISOString()

/**
 * Exports runs with their traces and outcomes in the versioned wire format
 * ({@link INTELLIGENCE_WIRE_VERSION}), ready for `JSON.stringify`.
 * @experimental
 * @example
 * const doc = await exportEvalRuns(traces, { agentId: 'support' })
 * await writeFile('runs.json', JSON.stringify(doc))
 */
export async function exportEvalRuns(store: TraceStore, options: ExportEvalRunsOptions = {}): Promise<EvalRunsExport> {
  const clock = options.clock ?? systemClock
  let runs = options.runIds
    ? (await Promise.all(options.runIds.map((id) => store.getRun(id)))).filter((r) => r !== null)
    : await store.listRuns({ agentId: options.agentId, since: options.since })
  if (options.runIds) {
    if (options.agentId !== undefined) runs = runs.filter((r) => r.agentId === options.agentId)
    if (options.since !== undefined) runs = runs.filter((r) => r.startedAt >= options.since!)
  }
  const out: EvalRunWire[] = []
  for (const run of runs) {
    const [events, outcomes] = await Promise.all([store.events(run.runId), store.outcomes(run.runId)])
    const wire: EvalRunWire = {
      runId: run.runId,
      agentId: run.agentId,
      status: run.status,
      startedAt: toIso(run.startedAt),
      traces: events.map((e) => ({ seq: e.seq, kind: e.kind, type: e.type, timestamp: toIso(e.timestamp), payload: e.payload })),
      outcomes: outcomes.map((o) => ({ outcomeId: o.outcomeId, kind: o.kind, value: o.value, recordedAt: toIso(o.recordedAt), ...(o.metadata ? { metadata: o.metadata } : {}) })),
    }
    if (run.personaId !== undefined) wire.personaId = run.personaId
    if (run.variantId !== undefined) wire.variantId = run.variantId
    if (run.endedAt !== undefined) {
      wire.endedAt = toIso(run.endedAt)
      wire.durationMs = Math.max(0, run.endedAt - run.startedAt)
    }
    if (run.output !== undefined) wire.output = run.output
    if (run.scores !== undefined) wire.scores = run.scores
    if (run.composite !== undefined) wire.composite = run.composite
    if (run.costUsd !== undefined) wire.costUsd = run.costUsd
    if (run.error !== undefined) wire.error = run.error
    out.push(wire)
  }
  return { wireVersion: INTELLIGENCE_WIRE_VERSION, exportedAt: toIso(clock()), runs: out }
}

/**
 * Validates an eval-runs document (e.g. parsed JSON from another process);
 * throws `ValidationError` naming the first bad field, or a version mismatch.
 * @experimental
 * @example
 * const doc = parseEvalRunsExport(JSON.parse(body))
 */
export function parseEvalRunsExport(input: unknown): EvalRunsExport {
  const parsed = wireExport.safeParse(input)
  if (parsed.success) return parsed.data
  const first = parsed.error.issues[0]!
  const field = first.path.map(String).join('.') || '(document)'
  throw new ValidationError(`eval-runs wire document: ${field}: ${first.message} (expected wireVersion '${INTELLIGENCE_WIRE_VERSION}').`)
}
