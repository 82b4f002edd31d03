import type { BudgetLedger, RuntimeRunRow } from '@tangle-network/agent-runtime-core'
import type { TraceStore } from '@tangle-network/agent-runtime-core/agent'
import type { DelegationListFilter, DelegationRecord, FeedbackRecord } from '@tangle-network/agent-runtime-mcp'

/** The delegation store calls the console makes (`SqlDelegationStore` and `InMemoryDelegationStore` fit). @experimental */
export interface ConsoleDelegationStore {
  list(filter: DelegationListFilter): Promise<DelegationRecord[]>
  get(taskId: string): Promise<DelegationRecord | undefined>
  /** The only write besides the kill-switch: any non-terminal delegation → `cancelled`. */
  cancel(taskId: string, at: number): Promise<DelegationRecord | undefined>
  feedbackForDelegations(taskIds: readonly string[]): Promise<FeedbackRecord[]>
}

/** A pattern whose daily spend the budget page shows against its cap. @experimental */
export interface ConsoleBudgetPattern {
  /** The ledger scope (the pattern id). */
  id: string
  name?: string
  dailyTokenCap?: number
  dailyCostCapUsd?: number
}

/** The budget ledger and the patterns (scopes) to show. @experimental */
export interface ConsoleBudget {
  ledger: BudgetLedger
  patterns: readonly ConsoleBudgetPattern[]
  /** IANA time zone of the ledger day. Default `UTC`. */
  timezone?: string
}

/** The kill-switch as the console sees it: its state, and a way to engage it. @experimental */
export interface ConsoleKillSwitch {
  /** A reason when engaged (e.g. which file), false otherwise. */
  status(): Promise<string | false>
  /** Engages the kill-switch; every loop checking it halts at its next check (before the next backend call). */
  engage(reason: string): Promise<void>
  /** How a person clears it, shown on the page (the console never clears it). */
  clearHint?: string
}

/** Runtime run rows (`startRuntimeRun` + `createSqlRuntimeRunAdapter`) of one workspace. @experimental */
export interface ConsoleRunRows {
  workspaceId: string
  adapter: { listByWorkspace(workspaceId: string, options?: { limit?: number }): Promise<RuntimeRunRow[]> }
}

/** What the console reads (and, for kill and cancel, writes). Every store is optional; a page without its store says so. @experimental */
export interface ConsoleStores {
  /** Run rows and loop traces (`createSqlTraceStore`). */
  traces?: TraceStore
  /** Task and chat run rows of one workspace, shown under the loops on the runs page. */
  runRows?: ConsoleRunRows
  delegations?: ConsoleDelegationStore
  budget?: ConsoleBudget
  killSwitch?: ConsoleKillSwitch
}
