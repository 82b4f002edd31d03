import { z } from 'zod'
import { NotFoundError, ValidationError } from '../errors.js'
import { type Clock, type IdSource, randomUuid, systemClock } from '../util/clock.js'
import type { AgentRunRecord, OutcomeRecord, TraceEventRecord, TraceStore } from './trace-store.js'

/** A run joined with its trace events and outcomes by run id. @experimental */
export interface JoinedAgentRun {
  run: AgentRunRecord
  events: TraceEventRecord[]
  outcomes: OutcomeRecord[]
}

/** Records real-world outcomes against runs and reads them back joined to the traces. @experimental */
export interface OutcomeAdapter {
  /** Records any outcome kind with a finite numeric value. */
  record(runId: string, outcome: { kind: string; value: number; metadata?: Record<string, unknown> }): Promise<OutcomeRecord>
  /** A user rating in [0, 1]. */
  rating(runId: string, rating: number, metadata?: Record<string, unknown>): Promise<OutcomeRecord>
  /** Whether a patch the run produced was accepted (1) or rejected (0). */
  patchAccepted(runId: string, accepted: boolean, metadata?: Record<string, unknown>): Promise<OutcomeRecord>
  /** A conversion worth `value` (e.g. revenue; 1 for a plain conversion). */
  conversion(runId: string, value?: number, metadata?: Record<string, unknown>): Promise<OutcomeRecord>
  /** The run, its events and its outcomes; `NotFoundError` when the run is unknown. */
  joined(runId: string): Promise<JoinedAgentRun>
}

const outcomeSchema = z.object({
  kind: z.string().min(1, 'expected a non-blank outcome kind'),
  value: z.number({ message: 'expected a number' }).finite('expected a finite number'),
  metadata: z.record(z.string(), z.unknown()).optional(),
})

/**
 * An {@link OutcomeAdapter} over a {@link TraceStore}: outcomes live beside
 * the run's traces and join to them by run id.
 * @experimental
 * @example
 * const outcomes = createOutcomeAdapter(traces)
 * await outcomes.rating(runId, 0.8)
 * const { run, events, outcomes: recorded } = await outcomes.joined(runId)
 */
export function createOutcomeAdapter(store: TraceStore, options: { clock?: Clock; ids?: IdSource } = {}): OutcomeAdapter {
  const clock = options.clock ?? systemClock
  const ids = options.ids ?? randomUuid
  const record: OutcomeAdapter['record'] = async (runId, outcome) => {
    const parsed = outcomeSchema.safeParse(outcome)
    if (!parsed.success) {
      const first = parsed.error.issues[0]!
      throw new ValidationError(`outcome.${first.path.join('.') || '(value)'} for run '${runId}': ${first.message}.`)
    }
    const rec: OutcomeRecord = { outcomeId: ids(), runId, kind: parsed.data.kind, value: parsed.data.value, recordedAt: clock() }
    if (parsed.data.metadata) rec.metadata = parsed.data.metadata
    await store.recordOutcome(rec)
    return rec
  }
  return {
    record,
    rating(runId, rating, metadata) {
      if (!(rating >= 0 && rating <= 1)) return Promise.reject(new ValidationError(`outcome rating for run '${runId}' must be in [0, 1] (got ${rating}); normalise the scale first.`))
      return record(runId, { kind: 'rating', value: rating, metadata })
    },
    patchAccepted(runId, accepted, metadata) {
      return record(runId, { kind: 'patch_accepted', value: accepted ? 1 : 0, metadata })
    },
    conversion(runId, value = 1, metadata) {
      return record(runId, { kind: 'conversion', value, metadata })
    },
    async joined(runId) {
      const run = await store.getRun(runId)
      if (!run) throw new NotFoundError(`outcomes.joined: no run '${runId}' in the trace store.`)
      const [events, outcomes] = await Promise.all([store.events(runId), store.outcomes(runId)])
      return { run, events, outcomes }
    },
  }
}
