import { NotFoundError, ValidationError } from '../errors.js'
import type { AgentTraceKind } from './types.js'

/** Status of a recorded agent run. @experimental */
export type AgentRunStatus = 'running' | 'completed' | 'failed'

/** One recorded agent run (the row the trace events and outcomes join to by `runId`). @experimental */
export interface AgentRunRecord {
  runId: string
  agentId: string
  personaId?: string
  variantId?: string
  status: AgentRunStatus
  startedAt: number
  endedAt?: number
  output?: unknown
  /** Rubric dimension scores in [0, 1]. */
  scores?: Record<string, number>
  /** Weighted rubric composite in [0, 1]. */
  composite?: number
  error?: string
  costUsd?: number
}

/** One stored trace event; `seq` is its 0-based position within the run. @experimental */
export interface TraceEventRecord {
  runId: string
  seq: number
  kind: AgentTraceKind
  type: string
  timestamp: number
  payload: Record<string, unknown>
}

/** A real-world outcome recorded against a run (rating, accepted patch, conversion, …). @experimental */
export interface OutcomeRecord {
  outcomeId: string
  runId: string
  kind: string
  /** Numeric value of the outcome (e.g. rating in [0, 1], 1 for an accepted patch, revenue). */
  value: number
  recordedAt: number
  metadata?: Record<string, unknown>
}

/** What {@link TraceStore.beginRun} takes. @experimental */
export type BeginAgentRun = Pick<AgentRunRecord, 'runId' | 'agentId' | 'personaId' | 'variantId' | 'startedAt'>
/** What {@link TraceStore.endRun} takes. @experimental */
export type EndAgentRun = Pick<AgentRunRecord, 'status' | 'endedAt' | 'output' | 'scores' | 'composite' | 'error' | 'costUsd'> & { status: 'completed' | 'failed'; endedAt: number }
/** An event to append; the store assigns `seq`. @experimental */
export type NewTraceEvent = Omit<TraceEventRecord, 'runId' | 'seq' | 'payload'> & { payload?: Record<string, unknown> }

/**
 * Stores task, chat and loop events per agent run, plus the run rows and the
 * outcomes recorded against them. One contract, memory and SQL implementations.
 * @experimental
 */
export interface TraceStore {
  /** Starts a run; a run id already present throws `ValidationError`. */
  beginRun(run: BeginAgentRun): Promise<void>
  /** Appends events in order; an unknown run throws `NotFoundError`. */
  append(runId: string, events: readonly NewTraceEvent[]): Promise<void>
  /** Ends a run; an unknown run throws `NotFoundError`. */
  endRun(runId: string, end: EndAgentRun): Promise<void>
  getRun(runId: string): Promise<AgentRunRecord | null>
  /** Runs ordered by `startedAt`, then `runId`. */
  listRuns(filter?: { agentId?: string; since?: number; limit?: number }): Promise<AgentRunRecord[]>
  /** The run's events in `seq` order, optionally of one kind. */
  events(runId: string, filter?: { kind?: AgentTraceKind }): Promise<TraceEventRecord[]>
  /** Records an outcome; an unknown run throws `NotFoundError`, a duplicate `outcomeId` `ValidationError`. */
  recordOutcome(outcome: OutcomeRecord): Promise<void>
  /** The run's outcomes ordered by `recordedAt`, then `outcomeId`. */
  outcomes(runId: string): Promise<OutcomeRecord[]>
}

/** Runs {@link TraceStore} argument checks shared by every implementation. */
export function checkRunId(method: string, runId: unknown): asserts runId is string {
  if (typeof runId !== 'string' || runId.length === 0) throw new ValidationError(`TraceStore.${method}: runId must be a non-empty string (got ${JSON.stringify(runId)}).`)
}

/**
 * A {@link TraceStore} in memory, for tests and single-process use.
 * @experimental
 * @example
 * const traces = createMemoryTraceStore()
 * await traces.beginRun({ runId: 'r1', agentId: 'support', startedAt: Date.now() })
 */
export function createMemoryTraceStore(): TraceStore {
  const runs = new Map<string, AgentRunRecord>()
  const events = new Map<string, TraceEventRecord[]>()
  const outcomes = new Map<string, OutcomeRecord[]>()
  const outcomeIds = new Set<string>()
  const need = (method: string, runId: string) => {
    checkRunId(method, runId)
    const run = runs.get(runId)
    if (!run) throw new NotFoundError(`TraceStore.${method}: no run '${runId}'; call beginRun first.`)
    return run
  }
  const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v))
  return {
    async beginRun(run) {
      checkRunId('beginRun', run.runId)
      if (runs.has(run.runId)) throw new ValidationError(`TraceStore.beginRun: run '${run.runId}' already exists; use a fresh run id.`)
      runs.set(run.runId, clone({ ...run, status: 'running' }))
      events.set(run.runId, [])
      outcomes.set(run.runId, [])
    },
    async append(runId, batch) {
      need('append', runId)
      const list = events.get(runId)!
      for (const e of batch) list.push({ runId, seq: list.length, kind: e.kind, type: e.type, timestamp: e.timestamp, payload: clone(e.payload ?? {}) })
    },
    async endRun(runId, end) {
      const run = need('endRun', runId)
      runs.set(runId, clone({ ...run, ...end }))
    },
    async getRun(runId) {
      return clone(runs.get(runId) ?? null)
    },
    async listRuns(filter = {}) {
      let list = [...runs.values()]
      if (filter.agentId !== undefined) list = list.filter((r) => r.agentId === filter.agentId)
      if (filter.since !== undefined) list = list.filter((r) => r.startedAt >= filter.since!)
      list.sort((a, b) => a.startedAt - b.startedAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0))
      return clone(filter.limit !== undefined ? list.slice(0, filter.limit) : list)
    },
    async events(runId, filter = {}) {
      const list = events.get(runId) ?? []
      return clone(filter.kind ? list.filter((e) => e.kind === filter.kind) : list)
    },
    async recordOutcome(outcome) {
      need('recordOutcome', outcome.runId)
      if (outcomeIds.has(outcome.outcomeId)) throw new ValidationError(`TraceStore.recordOutcome: outcome '${outcome.outcomeId}' already recorded.`)
      outcomeIds.add(outcome.outcomeId)
      const list = outcomes.get(outcome.runId)!
      list.push(clone(outcome))
      list.sort((a, b) => a.recordedAt - b.recordedAt || (a.outcomeId < b.outcomeId ? -1 : 1))
    },
    async outcomes(runId) {
      return clone(outcomes.get(runId) ?? [])
    },
  }
}
