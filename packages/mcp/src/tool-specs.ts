/**
 * The six delegation tools as data: name, description, zod input and output
 * schemas (strict: unknown fields are refused) and MCP annotations. The
 * server registers them; `mcpToolsForRuntimeMcp` projects them for OpenAI.
 */
import { z } from 'zod'

const nonEmpty = (what: string) => z.string().trim().min(1, `${what} must be a non-empty string`)
const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time such as 2026-01-31T00:00:00Z' })
const variants = z.number().int().min(1).max(8).optional().describe('Candidates to run, 1..8; more than one fans out over harnesses.')

/** Input of `delegate_code`. @experimental */
export const delegateCodeInput = z
  .object({
    goal: nonEmpty('goal').describe('What to change, in plain words.'),
    repoRoot: nonEmpty('repoRoot').describe('Path (or URL) of the git repository to change.'),
    contextHint: z.string().optional().describe('Extra context appended to the prompt under "## Context".'),
    variants,
    namespace: z.string().optional().describe('Groups delegations for delegation_history.'),
    config: z
      .object({
        testCmd: z.string().optional(),
        typecheckCmd: z.string().optional(),
        forbiddenPaths: z.array(z.string()).optional(),
        maxDiffLines: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()

/** Input of `delegate_research`. @experimental */
export const delegateResearchInput = z
  .object({
    question: nonEmpty('question'),
    namespace: nonEmpty('namespace').describe('Knowledge namespace the research belongs to.'),
    scope: z.string().optional(),
    sources: z.array(z.enum(['web', 'corpus', 'twitter', 'github', 'docs'])).optional(),
    variants,
    config: z
      .object({
        recencyWindow: z.object({ since: isoDate.optional(), until: isoDate.optional() }).strict().optional(),
        maxItems: z.number().int().min(1).optional(),
        minConfidence: z.number().min(0).max(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()

/** Input of `delegate_feedback`. @experimental */
export const delegateFeedbackInput = z
  .object({
    refersTo: z.object({ kind: z.enum(['delegation', 'artifact', 'outcome']), ref: nonEmpty('refersTo.ref') }).strict(),
    rating: z
      .object({
        score: z.number().min(0).max(1),
        label: z.enum(['good', 'bad', 'neutral', 'mixed']).optional(),
        notes: z.string(),
      })
      .strict(),
    by: z.enum(['agent', 'user', 'downstream-judge']),
    capturedAt: isoDate.optional(),
    namespace: z.string().optional(),
  })
  .strict()

/** Input of `delegation_status`. @experimental */
export const delegationStatusInput = z
  .object({
    taskId: nonEmpty('taskId'),
    waitMs: z
      .number()
      .int()
      .min(0)
      .max(50_000)
      .optional()
      .describe('Wait up to this many ms (max 50000) for the status to change before answering; progress notifications are sent meanwhile.'),
  })
  .strict()

/** Input of `delegation_history`. @experimental */
export const delegationHistoryInput = z
  .object({
    namespace: z.string().optional(),
    profile: z.enum(['coder', 'researcher']).optional(),
    since: isoDate.optional(),
    limit: z.number().int().min(1).max(500).default(50),
  })
  .strict()

/** Input of `delegation_cancel`. @experimental */
export const delegationCancelInput = z.object({ taskId: nonEmpty('taskId') }).strict()

const submitted = z.object({ taskId: z.string(), estimatedDurationMs: z.number() })

const statusEnum = z.enum(['pending', 'running', 'completed', 'failed', 'cancelled'])

/** One delegation as tools report it. @experimental */
export const delegationView = z.object({
  taskId: z.string(),
  profile: z.enum(['coder', 'researcher']),
  status: statusEnum,
  namespace: z.string().optional(),
  progress: z.object({ iteration: z.number(), phase: z.string() }).optional(),
  result: z.object({ profile: z.enum(['coder', 'researcher']), output: z.unknown() }).optional(),
  error: z.object({ message: z.string(), kind: z.string() }).optional(),
  costUsd: z.number().optional(),
  attempts: z.number(),
  submittedAt: z.string(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
})

const feedbackView = z.object({
  id: z.string(),
  refersTo: z.object({ kind: z.string(), ref: z.string() }),
  rating: z.object({ score: z.number(), label: z.string().optional(), notes: z.string() }),
  by: z.string(),
  namespace: z.string().optional(),
  capturedAt: z.string(),
})

/** Names of the delegation tools. @experimental */
export type DelegationToolName = 'delegate_code' | 'delegate_research' | 'delegate_feedback' | 'delegation_status' | 'delegation_history' | 'delegation_cancel'

/** A tool's static description. @experimental */
export interface DelegationToolSpec {
  name: DelegationToolName
  title: string
  description: string
  input: z.ZodObject
  output: z.ZodObject
  annotations: { readOnlyHint?: boolean; idempotentHint?: boolean; destructiveHint?: boolean; openWorldHint?: boolean }
}

/** Every delegation tool, in registration order. @experimental */
export const DELEGATION_TOOL_SPECS: readonly DelegationToolSpec[] = [
  {
    name: 'delegate_code',
    title: 'Delegate a code change',
    description:
      'Hands a code-modification task to a disciplined coder loop (isolated git worktrees, tests, secret-path floor). Returns {taskId, estimatedDurationMs} at once; call delegation_status(taskId, waitMs) until the status is completed, failed or cancelled. Identical inputs return the same taskId.',
    input: delegateCodeInput,
    output: submitted,
    annotations: { idempotentHint: true, readOnlyHint: false, destructiveHint: false, openWorldHint: true },
  },
  {
    name: 'delegate_research',
    title: 'Delegate a research question',
    description:
      'Hands a source-grounded research question to a researcher loop. Returns {taskId, estimatedDurationMs} at once; poll delegation_status. Identical inputs return the same taskId.',
    input: delegateResearchInput,
    output: submitted,
    annotations: { idempotentHint: true, readOnlyHint: false, destructiveHint: false, openWorldHint: true },
  },
  {
    name: 'delegate_feedback',
    title: 'Rate a delegation, artifact or outcome',
    description: 'Appends a rating (score 0..1, label, notes) by an agent, a user or a downstream judge. Append-only; returns {recorded: true, id}.',
    input: delegateFeedbackInput,
    output: z.object({ recorded: z.literal(true), id: z.string() }),
    annotations: { readOnlyHint: false, idempotentHint: false, destructiveHint: false, openWorldHint: false },
  },
  {
    name: 'delegation_status',
    title: 'Status of a delegation',
    description:
      'Snapshot of a delegation: pending → running → completed | failed | cancelled, with progress, result, error and cost. With waitMs (≤ 50000) it answers as soon as the status changes or the wait ends, so do not busy-poll.',
    input: delegationStatusInput,
    output: delegationView,
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  },
  {
    name: 'delegation_history',
    title: 'Past delegations',
    description: 'Newest-first list of delegations (filter by namespace, profile, since; limit 1..500, default 50), each with its feedback.',
    input: delegationHistoryInput,
    output: z.object({ delegations: z.array(delegationView.extend({ feedback: z.array(feedbackView) })) }),
    annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  },
  {
    name: 'delegation_cancel',
    title: 'Cancel a delegation',
    description: 'Aborts a pending or running delegation (its sandboxes are deleted) and marks it cancelled. A finished delegation is left as it is (cancelled: false).',
    input: delegationCancelInput,
    output: z.object({ taskId: z.string(), status: statusEnum, cancelled: z.boolean() }),
    annotations: { readOnlyHint: false, idempotentHint: true, destructiveHint: true, openWorldHint: false },
  },
]
