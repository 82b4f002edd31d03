/**
 * Shapes shared by the MCP server, the delegation store and the delegates
 * (reference §12). The server validates tool input with zod and hands these
 * plain objects to a delegate; a delegate never sees MCP types.
 */
import type { CoderOutput } from '@tangle-network/agent-runtime-core/profiles'

/** Per-delegation checks a caller may set on `delegate_code`. @experimental */
export interface DelegateCodeConfig {
  testCmd?: string
  typecheckCmd?: string
  forbiddenPaths?: string[]
  maxDiffLines?: number
}

/** Validated input of the `delegate_code` tool. @experimental */
export interface DelegateCodeArgs {
  goal: string
  repoRoot: string
  contextHint?: string
  /** 1..8; more than one runs a fan-out over harnesses. */
  variants?: number
  namespace?: string
  config?: DelegateCodeConfig
}

/** Sources a research delegation may consult. @experimental */
export type ResearchSource = 'web' | 'corpus' | 'twitter' | 'github' | 'docs'

/** Validated input of the `delegate_research` tool. @experimental */
export interface DelegateResearchArgs {
  question: string
  namespace: string
  scope?: string
  sources?: ResearchSource[]
  variants?: number
  config?: { recencyWindow?: { since?: string; until?: string }; maxItems?: number; minConfidence?: number }
}

/** Progress a running delegation reports; shown by `delegation_status`. @experimental */
export interface DelegationProgress {
  iteration: number
  phase: string
}

/** What a delegate receives besides its arguments. @experimental */
export interface DelegateContext {
  /** Aborted when the delegation is cancelled or the server stops; every sandbox must be deleted. */
  signal: AbortSignal
  /** Publishes progress; cheap to call often. */
  report(progress: DelegationProgress): void
  /** Adds spend to the delegation's `costUsd`. Optional for delegates that cannot measure cost. */
  addCost?(usd: number): void
}

/** Output of a coder delegation: the winning candidate. @experimental */
export interface CoderDelegateOutput {
  /** Index of the winning iteration within the fan-out (0 for single-shot). */
  winnerIndex: number
  /** Harness that produced the winner, when a fan-out ran. */
  harness?: string
  output: CoderOutput
  score: number
  /** Iterations run, including rejected ones. */
  candidates: number
}

/** Runs one coder delegation to completion; throws when no candidate passes. @experimental */
export type CoderDelegate = (args: DelegateCodeArgs, ctx: DelegateContext) => Promise<CoderDelegateOutput>

/** Runs one research delegation to completion. @experimental */
export type ResearcherDelegate = (args: DelegateResearchArgs, ctx: DelegateContext) => Promise<unknown>
