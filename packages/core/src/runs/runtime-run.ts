import type { RuntimeStreamEvent } from '../contracts/events.js'
import type { AgentTaskSpec } from '../contracts/task.js'
import { RuntimeRunStateError, ValidationError } from '../errors.js'
import { type Clock, randomBase36, systemClock } from '../util/clock.js'

/** Lifecycle of a runtime run: `running` → `completed` | `failed` | `cancelled`. @stable */
export type RuntimeRunStatus = 'running' | 'completed' | 'failed' | 'cancelled'

/** A terminal {@link RuntimeRunStatus}. @stable */
export type RuntimeRunTerminalStatus = Exclude<RuntimeRunStatus, 'running'>

/** Cost ledger of a run, summed from `llm_call` events. @stable */
export interface RuntimeRunCost {
  tokensIn: number
  tokensOut: number
  costUsd: number
  wallMs: number
  llmCalls: number
}

/** One persisted run (one row of the run table). Times are ISO strings. @stable */
export interface RuntimeRunRow {
  id: string
  workspaceId: string
  sessionId?: string
  agentId?: string
  domain?: string
  taskId: string
  scenarioId?: string
  status: RuntimeRunStatus
  resultSummary?: string
  error?: string
  cost: RuntimeRunCost
  startedAt: string
  completedAt?: string
  metadata?: Record<string, unknown>
}

/** Where run rows are written. @stable */
export interface RuntimeRunPersistenceAdapter {
  upsert(row: RuntimeRunRow): Promise<void> | void
}

/** Options of {@link startRuntimeRun}. @stable */
export interface StartRuntimeRunOptions {
  workspaceId: string
  taskSpec: AgentTaskSpec
  sessionId?: string
  agentId?: string
  scenarioId?: string
  adapter?: RuntimeRunPersistenceAdapter
  /** Run id; default `${taskSpec.id}:<8 base-36 chars>`. */
  id?: string
  now?: Clock
}

/** What `complete` records. `cost` fields override the ledger. @stable */
export interface CompleteRuntimeRunInput {
  status: RuntimeRunTerminalStatus
  resultSummary?: string
  cost?: Partial<RuntimeRunCost>
  error?: string
  metadata?: Record<string, unknown>
}

/** A live run: feed it events, complete it once, persist it. @stable */
export interface RuntimeRunHandle {
  readonly id: string
  status(): RuntimeRunStatus
  /** Adds an `llm_call` event to the cost ledger; other events are ignored. */
  observe(event: RuntimeStreamEvent | { type: string }): void
  /** The ledger; `wallMs` runs to completion, or to now while running. */
  cost(): RuntimeRunCost
  complete(input: CompleteRuntimeRunInput): RuntimeRunRow
  toRow(metadata?: Record<string, unknown>): RuntimeRunRow
  /** Writes the row through the adapter (no-op without one). Throws before `complete`. */
  persist(metadata?: Record<string, unknown>): Promise<RuntimeRunRow>
}

const TERMINAL: readonly string[] = ['completed', 'failed', 'cancelled']
const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n)

/**
 * Starts tracking one run of a task: a row with status, cost ledger (from
 * `llm_call` events) and timing, a one-way state machine, and persistence.
 * @stable
 * @example
 * const run = startRuntimeRun({ workspaceId: 'ws', taskSpec: task, adapter })
 * for await (const e of runAgentTaskStream({ task, backend })) run.observe(e)
 * run.complete({ status: 'completed', resultSummary: 'done' })
 * await run.persist()
 */
export function startRuntimeRun(options: StartRuntimeRunOptions): RuntimeRunHandle {
  if (typeof options?.workspaceId !== 'string' || options.workspaceId.trim() === '') {
    throw new ValidationError(`startRuntimeRun: workspaceId must be a non-empty string; received ${JSON.stringify(options?.workspaceId)}.`)
  }
  if (typeof options.taskSpec?.id !== 'string' || options.taskSpec.id.trim() === '') {
    throw new ValidationError(`startRuntimeRun: taskSpec.id must be a non-empty string; received ${JSON.stringify(options.taskSpec?.id)}.`)
  }
  const now = options.now ?? systemClock
  const id = options.id ?? `${options.taskSpec.id}:${randomBase36(8)}`
  const startMs = now()
  let status: RuntimeRunStatus = 'running'
  let completedMs: number | undefined
  let resultSummary: string | undefined
  let error: string | undefined
  let metadata: Record<string, unknown> | undefined
  const ledger = { tokensIn: 0, tokensOut: 0, costUsd: 0, llmCalls: 0 }
  let override: Partial<RuntimeRunCost> = {}

  const cost = (): RuntimeRunCost => ({ ...ledger, wallMs: (completedMs ?? now()) - startMs, ...override })
  const toRow = (extra?: Record<string, unknown>): RuntimeRunRow => {
    const meta = metadata || extra ? { ...metadata, ...extra } : undefined
    const row: RuntimeRunRow = {
      id,
      workspaceId: options.workspaceId,
      taskId: options.taskSpec.id,
      status,
      cost: cost(),
      startedAt: new Date(startMs).toISOString(),
    }
    if (options.sessionId !== undefined) row.sessionId = options.sessionId
    if (options.agentId !== undefined) row.agentId = options.agentId
    if (options.taskSpec.domain !== undefined) row.domain = options.taskSpec.domain
    if (options.scenarioId !== undefined) row.scenarioId = options.scenarioId
    if (resultSummary !== undefined) row.resultSummary = resultSummary
    if (error !== undefined) row.error = error
    if (completedMs !== undefined) row.completedAt = new Date(completedMs).toISOString()
    if (meta !== undefined) row.metadata = meta
    return row
  }

  return {
    id,
    status: () => status,
    observe(event) {
      if (event.type !== 'llm_call') return
      const e = event as Extract<RuntimeStreamEvent, { type: 'llm_call' }>
      if (finite(e.tokensIn)) ledger.tokensIn += e.tokensIn
      if (finite(e.tokensOut)) ledger.tokensOut += e.tokensOut
      if (finite(e.costUsd)) ledger.costUsd += e.costUsd
      ledger.llmCalls++
    },
    cost,
    complete(input) {
      const next = input?.status as string
      if (!TERMINAL.includes(next)) {
        throw new ValidationError(
          `complete() needs a terminal status (completed, failed or cancelled); received ${JSON.stringify(next)}.`,
        )
      }
      if (status !== 'running') {
        if (status === next) return toRow()
        throw new RuntimeRunStateError(`Cannot transition runtime run from "${status}" to "${next}"`)
      }
      status = input.status
      completedMs = now()
      resultSummary = input.resultSummary
      error = input.error
      metadata = input.metadata
      override = Object.fromEntries(Object.entries(input.cost ?? {}).filter(([, v]) => finite(v)))
      return toRow()
    },
    toRow,
    async persist(extra) {
      if (status === 'running') {
        throw new RuntimeRunStateError(`Cannot persist runtime run "${id}" while it is running; call complete({ status }) first.`)
      }
      const row = toRow(extra)
      await options.adapter?.upsert(row)
      return row
    },
  }
}
