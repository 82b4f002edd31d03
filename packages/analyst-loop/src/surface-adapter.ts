import type { FindingsDiff } from './diff.js'
import type { AnalystFinding } from './types.js'

/** An edit a surface adapter proposes, tied to the finding that motivated it. @experimental */
export interface SurfaceProposal {
  /** Unique within one loop run. */
  id: string
  sourceFindingId: string
  title: string
}

/** What an adapter is told when it proposes or applies. @experimental */
export interface SurfaceAdapterContext {
  runId: string
  baselineRunId: string | null
  diff: FindingsDiff | null
  signal?: AbortSignal
}

/** The outcome of applying one proposal: applied, or not (with the reason, e.g. a gate hold or a KB veto). @experimental */
export interface SurfaceApplyOutcome<Item extends SurfaceProposal = SurfaceProposal> {
  item: Item
  applied: boolean
  /** Not applied because a gate rejected it outright (e.g. a KB-gate veto), rather than held for review. */
  rejected?: boolean
  reason?: string
  /** Adapter-specific detail (e.g. the gate's decision, the written file). */
  detail?: Record<string, unknown>
}

/**
 * Turns findings into proposals for one surface, and optionally applies them.
 * The loop decides which proposals reach `apply` (auto-apply and confidence).
 * @experimental
 */
export interface SurfaceAdapter<Item extends SurfaceProposal = SurfaceProposal> {
  readonly surface: string
  propose(findings: readonly AnalystFinding[], ctx: SurfaceAdapterContext): Promise<Item[]> | Item[]
  apply?(items: readonly Item[], ctx: SurfaceAdapterContext): Promise<SurfaceApplyOutcome<Item>[]>
}

/** A proposal that was not applied, and why. @experimental */
export interface WithheldProposal<Item extends SurfaceProposal = SurfaceProposal> {
  item: Item
  reason: string
}

/** What happened to one surface's proposals in a loop run. @experimental */
export interface SurfaceReport<Item extends SurfaceProposal = SurfaceProposal> {
  surface: string
  proposed: Item[]
  applied: SurfaceApplyOutcome<Item>[]
  withheld_for_review: WithheldProposal<Item>[]
  /** Proposals a gate rejected outright (e.g. vetoed facts); never applied. */
  rejected: WithheldProposal<Item>[]
}
