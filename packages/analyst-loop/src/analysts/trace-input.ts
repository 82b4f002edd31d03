import type { AgentRunRecord, TraceEventRecord, TraceStore } from '@tangle-network/agent-runtime-core/agent'

/** What trace-store analysts read: the store and which runs to look at. @experimental */
export interface TraceAnalystInput {
  traces: TraceStore
  /** These runs; otherwise every run matching `agentId`/`since`. */
  runIds?: readonly string[]
  agentId?: string
  since?: number
}

/** A run with its events, as analysts see it. @experimental */
export interface LoadedRun {
  run: AgentRunRecord
  events: TraceEventRecord[]
}

/** Loads the runs an analyst input names, with their events. */
export async function loadRuns(input: TraceAnalystInput): Promise<LoadedRun[]> {
  const runs = input.runIds
    ? (await Promise.all(input.runIds.map((id) => input.traces.getRun(id)))).filter((r): r is AgentRunRecord => r !== null)
    : await input.traces.listRuns({ agentId: input.agentId, since: input.since })
  return Promise.all(runs.map(async (run) => ({ run, events: await input.traces.events(run.runId) })))
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
