/**
 * What each delegation tool does once its arguments passed the schema:
 * plain functions over the delegation manager and the feedback store, so the
 * MCP wiring stays a thin layer.
 */
import { type Clock, randomBase36 } from '@tangle-network/agent-runtime-core'
import type { z } from 'zod'
import type { DelegationProgress } from './contracts.js'
import type { DelegationManager } from './delegations.js'
import type { DelegationRecord, FeedbackRecord, FeedbackStore } from './store/types.js'
import type {
  delegateCodeInput,
  delegateFeedbackInput,
  delegateResearchInput,
  delegationCancelInput,
  delegationHistoryInput,
  delegationStatusInput,
  DelegationToolName,
} from './tool-specs.js'

const MIN = 60_000

/** What a handler may use of the MCP request besides its arguments. @internal */
export interface ToolCallContext {
  signal: AbortSignal
  /** Sends a progress notification when the caller asked for them (gave a progress token). */
  progress?: (p: DelegationProgress, count: number) => void
}

/** @internal */
export type ToolHandler = (args: any, call: ToolCallContext) => Promise<Record<string, unknown>>

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString())

/** A stored record as the tools report it. @internal */
export function delegationView(r: DelegationRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {
    taskId: r.taskId,
    profile: r.profile,
    status: r.status,
    attempts: r.attempts,
    submittedAt: iso(r.createdAt),
  }
  if (r.namespace !== undefined) view.namespace = r.namespace
  if (r.progress) view.progress = r.progress
  if (r.status === 'completed') view.result = { profile: r.profile, output: r.output ?? null }
  if (r.error) view.error = r.error
  if (r.costUsd !== undefined) view.costUsd = r.costUsd
  if (r.startedAt !== undefined) view.startedAt = iso(r.startedAt)
  if (r.completedAt !== undefined) view.completedAt = iso(r.completedAt)
  return view
}

function feedbackView(f: FeedbackRecord): Record<string, unknown> {
  const { recordedAt: _internal, ...rest } = f
  return rest
}

/** Builds the handler of every tool. @internal */
export function createToolHandlers(deps: { manager: DelegationManager; feedback: FeedbackStore; now: Clock }): Record<DelegationToolName, ToolHandler> {
  const { manager, feedback, now } = deps
  return {
    async delegate_code(args: z.output<typeof delegateCodeInput>) {
      const variants = args.variants ?? 1
      // These fields (and only these) make the idempotency key; `variants` defaults to 1 so omitting it equals 1.
      const normalized = {
        goal: args.goal,
        repoRoot: args.repoRoot,
        contextHint: args.contextHint,
        variants,
        config: args.config,
        namespace: args.namespace,
      }
      const { record } = await manager.submit('coder', JSON.parse(JSON.stringify(normalized)))
      return { taskId: record.taskId, estimatedDurationMs: (variants > 1 ? 8 : 6) * MIN }
    },
    async delegate_research(args: z.output<typeof delegateResearchInput>) {
      const variants = args.variants ?? 1
      const normalized = {
        question: args.question,
        namespace: args.namespace,
        scope: args.scope,
        sources: args.sources,
        variants,
        config: args.config,
      }
      const { record } = await manager.submit('researcher', JSON.parse(JSON.stringify(normalized)))
      return { taskId: record.taskId, estimatedDurationMs: (variants > 1 ? 6 : 4) * MIN }
    },
    async delegate_feedback(args: z.output<typeof delegateFeedbackInput>) {
      const at = now()
      const entry: FeedbackRecord = {
        id: `fbk-${at.toString(36)}-${randomBase36(8)}`,
        refersTo: args.refersTo,
        rating: args.rating,
        by: args.by,
        ...(args.namespace !== undefined ? { namespace: args.namespace } : {}),
        capturedAt: args.capturedAt ?? new Date(at).toISOString(),
        recordedAt: at,
      }
      await feedback.appendFeedback(entry)
      return { recorded: true, id: entry.id }
    },
    async delegation_status(args: z.output<typeof delegationStatusInput>, call) {
      let count = 0
      const onProgress = call.progress ? (p: DelegationProgress) => call.progress!(p, ++count) : undefined
      const record = args.waitMs ? await manager.wait(args.taskId, args.waitMs, call.signal, onProgress) : await manager.get(args.taskId)
      return delegationView(record)
    },
    async delegation_history(args: z.output<typeof delegationHistoryInput>) {
      const records = await manager.list({
        namespace: args.namespace,
        profile: args.profile,
        since: args.since === undefined ? undefined : Date.parse(args.since),
        limit: args.limit,
      })
      const all = await feedback.feedbackForDelegations(records.map((r) => r.taskId))
      return {
        delegations: records.map((r) => ({
          ...delegationView(r),
          feedback: all.filter((f) => f.refersTo.ref === r.taskId).map(feedbackView),
        })),
      }
    },
    async delegation_cancel(args: z.output<typeof delegationCancelInput>) {
      const { record, cancelled } = await manager.cancel(args.taskId)
      return { taskId: record.taskId, status: record.status, cancelled }
    },
  }
}
