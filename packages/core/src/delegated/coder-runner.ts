/**
 * `coderLoopRunner` and `reviewLoopRunner`. They live in core so the runner
 * table stays I/O-free and independent of the MCP package: by default they run
 * a coder loop over `coderProfile` / `multiHarnessCoderFanout` directly; pass
 * `delegate: createDefaultCoderDelegate({...})` (from `/mcp`) to run the MCP
 * coder delegate instead, as reference §11 does.
 */
import type { LoopSandboxClient } from '../contracts/loop.js'
import { ValidationError } from '../errors.js'
import { type LoopBudget, validateLoopBudget } from '../loop-ops/budget.js'
import { runLoop } from '../loops/kernel/run-loop.js'
import type { CoderOutput, CoderTask } from '../profiles/coder.js'
import type { CoderVerdict } from '../profiles/coder-validator.js'
import { multiHarnessCoderFanout } from '../profiles/multi-harness.js'
import type { DelegatedLoopRunner } from './run-delegated-loop.js'

/** What to build; the same shape as the MCP server's `DelegateCodeArgs`. @experimental */
export interface CoderLoopArgs {
  goal: string
  repoRoot: string
  contextHint?: string
  /** Candidates (1..8); more than one fans out over `fanoutHarnesses`. */
  variants?: number
  namespace?: string
  config?: { testCmd?: string; typecheckCmd?: string; forbiddenPaths?: string[]; maxDiffLines?: number }
}

/** A reviewer's verdict on a candidate (the checker of maker/checker). @experimental */
export interface CoderReview {
  approved: boolean
  recommendation?: string
  /** 0..1; used by `winnerSelection: 'highest-readiness'`. */
  readiness?: number
  notes?: string
}

/** Reviews one candidate that passed its checks. @experimental */
export type CoderReviewer = (output: CoderOutput, task: CoderTask) => Promise<CoderReview> | CoderReview

/** How the winner is chosen among the candidates that passed (and were approved). @experimental */
export type CoderWinnerSelection = 'highest-score' | 'smallest-diff' | 'highest-readiness' | 'first-approved'

/** The winning candidate; the same shape as the MCP server's `CoderDelegateOutput`. @experimental */
export interface CoderLoopOutput {
  winnerIndex: number
  harness?: string
  output: CoderOutput
  score: number
  candidates: number
}

/** A coder delegate as `/mcp`'s `createDefaultCoderDelegate` returns it (structural, so core needs no MCP import). @experimental */
export type CoderLoopDelegate = (
  args: CoderLoopArgs,
  ctx: { signal: AbortSignal; report(progress: { iteration: number; phase: string }): void },
) => Promise<unknown>

/** Options of {@link coderLoopRunner}. @experimental */
export interface CoderLoopRunnerOptions {
  sandboxClient: LoopSandboxClient
  args: CoderLoopArgs
  reviewer?: CoderReviewer
  winnerSelection?: CoderWinnerSelection
  /** Harnesses of a fan-out (default: `opencode` only for one variant, the default fan-out set for more). */
  fanoutHarnesses?: readonly string[]
  /** Runs this delegate (e.g. `createDefaultCoderDelegate(...)`) instead of the built-in coder loop; `report` is a no-op. */
  delegate?: CoderLoopDelegate
  /** Hard caps of the coder loop (see `runLoop`). */
  budget?: LoopBudget
}

/** Options of {@link reviewLoopRunner}: the reviewer is required. @experimental */
export type ReviewLoopRunnerOptions = CoderLoopRunnerOptions & { reviewer: CoderReviewer }

const diffSize = (o: CoderOutput) => o.diffStats.insertions + o.diffStats.deletions

/**
 * A delegated `code` runner: a coder loop over `args` with the coder
 * validator's default-on gates (no-op rejection, secret-path floor, forbidden
 * paths, diff size, tests, typecheck), an optional reviewer, and a winner
 * rule. Throws (recorded as `ok: false`) when no candidate passes.
 * @experimental
 * @example
 * const registry = { code: coderLoopRunner({ sandboxClient, args: { goal: 'fix the flaky retry test', repoRoot: '/repo' }, winnerSelection: 'smallest-diff' }) }
 */
export function coderLoopRunner(options: CoderLoopRunnerOptions): DelegatedLoopRunner<CoderLoopOutput> {
  if (!options?.args || typeof options.args.goal !== 'string' || typeof options.args.repoRoot !== 'string') {
    throw new ValidationError('coderLoopRunner: args {goal, repoRoot} is required')
  }
  if (!options.delegate && typeof options.sandboxClient?.create !== 'function') throw new ValidationError('coderLoopRunner: sandboxClient.create is required')
  const variants = options.args.variants ?? 1
  if (!Number.isInteger(variants) || variants < 1 || variants > 8) throw new ValidationError(`coderLoopRunner: args.variants must be an integer 1..8, got ${String(variants)}`)
  validateLoopBudget(options.budget, 'coderLoopRunner')
  const selection = options.winnerSelection ?? 'highest-score'
  return async (signal, context) => {
    if (options.delegate) {
      return (await options.delegate(options.args, { signal, report: () => undefined })) as CoderLoopOutput
    }
    const { args } = options
    const task: CoderTask = {
      goal: args.goal,
      repoRoot: args.repoRoot,
      ...(args.contextHint ? { contextHint: args.contextHint } : {}),
      ...(args.config ?? {}),
    }
    const harnesses = options.fanoutHarnesses ?? (variants === 1 ? ['opencode'] : undefined)
    const fanout = multiHarnessCoderFanout({ task, n: variants, ...(harnesses ? { harnesses } : {}) })
    const budget = context?.budget ?? options.budget
    const result = await runLoop({ ...fanout, ctx: { sandboxClient: options.sandboxClient, signal }, ...(budget ? { budget } : {}) })
    if (result.budget) throw new Error(`budget-exceeded: ${result.budget.limit} (spent ${result.budget.spent.tokens} tokens, $${result.budget.spent.costUsd})`)
    const passed = result.iterations.filter((it) => it.output && !it.error && it.verdict?.valid)
    const reviewed: Array<{ index: number; harness: string; output: CoderOutput; verdict: CoderVerdict; review?: CoderReview }> = []
    for (const it of passed) {
      const entry = { index: it.index, harness: it.agentRunName, output: it.output!, verdict: it.verdict! }
      if (!options.reviewer) {
        reviewed.push(entry)
        continue
      }
      const review = await options.reviewer(it.output!, fanout.task)
      if (!review.approved) continue
      reviewed.push({ ...entry, review, output: { ...it.output!, ...(review.notes ? { reviewerNotes: review.notes } : {}) } })
      if (selection === 'first-approved') break
    }
    if (reviewed.length === 0) {
      const why = result.iterations.map((it) => `#${it.index} ${it.error ?? it.verdict?.notes ?? 'no verdict'}`).join('; ')
      throw new Error(`coderLoopRunner: no candidate passed${options.reviewer ? ' and was approved' : ''} (${why})`)
    }
    const rank: Record<CoderWinnerSelection, (a: (typeof reviewed)[0], b: (typeof reviewed)[0]) => number> = {
      'highest-score': (a, b) => b.verdict.score - a.verdict.score,
      'smallest-diff': (a, b) => diffSize(a.output) - diffSize(b.output),
      'highest-readiness': (a, b) => (b.review?.readiness ?? 0) - (a.review?.readiness ?? 0),
      'first-approved': () => 0,
    }
    const winner = [...reviewed].sort((a, b) => rank[selection](a, b) || a.index - b.index)[0]!
    return { winnerIndex: winner.index, harness: winner.harness, output: winner.output, score: winner.verdict.score, candidates: result.iterations.length }
  }
}

/**
 * A delegated `review` runner: {@link coderLoopRunner} whose reviewer is
 * required by type, so no candidate wins unreviewed.
 * @experimental
 * @example
 * const registry = { review: reviewLoopRunner({ sandboxClient, args, reviewer: async (out) => ({ approved: out.testResult.passed }) }) }
 */
export function reviewLoopRunner(options: ReviewLoopRunnerOptions): DelegatedLoopRunner<CoderLoopOutput> {
  if (typeof options?.reviewer !== 'function') throw new ValidationError('reviewLoopRunner: reviewer is required (a function (output, task) => {approved})')
  return coderLoopRunner(options)
}
