/**
 * The default coder delegate: runs a `delegate_code` request as a coder loop
 * (one candidate, or a fan-out over harnesses), then picks the winner among
 * the candidates that passed every check and, with a reviewer, the review.
 */
import { AgentRuntimeError, type SandboxClient, ValidationError } from '@tangle-network/agent-runtime-core'
import {
  createSiblingSandboxExecutor,
  type Driver,
  type Iteration,
  type LoopSandboxClient,
  type LoopTraceEmitter,
  type LoopTraceEvent,
  runLoop,
} from '@tangle-network/agent-runtime-core/loops'
import {
  type CoderOutput,
  type CoderTask,
  type CoderVerdict,
  coderProfile,
  DEFAULT_CODER_FANOUT_HARNESSES,
  multiHarnessCoderFanout,
} from '@tangle-network/agent-runtime-core/profiles'
import type { CoderDelegate, CoderDelegateOutput, DelegateCodeArgs, DelegateContext } from '../contracts.js'
import {
  CODER_WINNER_SELECTIONS,
  type CoderReview,
  type CoderReviewer,
  type CoderSelection,
  type CoderWinnerSelection,
  type RejectedCoderCandidate,
  selectCoderWinner,
} from './selection.js'

/** Options of {@link createDefaultCoderDelegate}. Pass exactly one of `executor` and `sandboxClient`. @experimental */
export interface DefaultCoderDelegateOptions {
  /** Where iterations run (a sibling-sandbox or fleet executor, or any loop sandbox client). */
  executor?: LoopSandboxClient
  /** A sandbox client; iterations run in fresh sibling sandboxes of it. */
  sandboxClient?: Pick<SandboxClient, 'create'>
  /** Harnesses of a fan-out (`variants > 1`), sliced to `variants`. Default `claude-code`, `codex`, `opencode/zai-coding-plan/glm-5.1`. */
  fanoutHarnesses?: readonly string[]
  /** Harness of a single-shot run (`variants ≤ 1`). Default: the first of `fanoutHarnesses` when given, else `opencode`. */
  harness?: string
  /** Candidates running at once. Default 4. */
  maxConcurrency?: number
  /** Reviews each mechanically valid candidate; only approved ones can win. */
  reviewer?: CoderReviewer
  /** Default `highest-score`. */
  winnerSelection?: CoderWinnerSelection
  /** Receives every loop trace event of every delegation. */
  traceEmitter?: LoopTraceEmitter
  /** Longest a test or typecheck command may run, in ms. Default 600 000. */
  commandTimeoutMs?: number
  /** Trace every delegation's loop joins (e.g. the caller's `TRACE_ID`), passed to `runLoop` as `ctx.traceId`. */
  traceId?: string
  /** Span the loop's root span hangs under (e.g. `PARENT_SPAN_ID`), passed as `ctx.parentSpanId`. */
  parentSpanId?: string
}

/** What the default coder delegate returns: the shared contract plus the review and the turned-down candidates. @experimental */
export interface DefaultCoderDelegateOutput extends CoderDelegateOutput {
  /** The reviewer's verdict on the winner, when a reviewer is set. */
  review?: CoderReview
  /** Candidates that could not win, and why, in iteration order. */
  rejected: RejectedCoderCandidate[]
  /** Run id of the loop, as in its trace events. */
  runId: string
  /** Spend of the whole loop, in USD. */
  costUsd: number
}

/** A coder delegate whose output carries the review and the turned-down candidates; it satisfies {@link CoderDelegate}. @experimental */
export type DefaultCoderDelegate = (args: DelegateCodeArgs, ctx: DelegateContext) => Promise<DefaultCoderDelegateOutput>

/** Thrown when no candidate of a coder delegation passed validation (and review). @experimental */
export class NoCoderCandidateError extends AgentRuntimeError {
  /** Every candidate and why it was turned down. */
  readonly rejected: RejectedCoderCandidate[]
  constructor(reviewed: boolean, rejected: RejectedCoderCandidate[]) {
    const why = rejected.map((r) => `#${r.iterationIndex} ${r.agentRunName} ${r.reason}`).join('; ')
    super('no_candidate', `coder delegate: no candidate passed validation${reviewed ? ' + review' : ''}${why ? ` (${why})` : ''}`)
    this.rejected = rejected
  }
}

type CoderIteration = Iteration<CoderTask, CoderOutput, CoderVerdict>

/** One candidate, then stop: `pick-winner` when it is valid, else `fail`. */
function singleShotDriver(): Driver<CoderTask, CoderOutput, 'pick-winner' | 'fail', CoderVerdict> {
  return {
    name: 'single-shot',
    plan: (task, history) => (history.length === 0 ? [task] : []),
    decide: (history) => (history.some((it) => it.verdict?.valid === true && it.error === undefined) ? 'pick-winner' : 'fail'),
    describePlan: () => ({ kind: 'refine', rationale: 'single candidate' }),
  }
}

function resolveExecutor(options: DefaultCoderDelegateOptions): LoopSandboxClient {
  const { executor, sandboxClient } = options
  if (executor !== undefined && sandboxClient !== undefined) {
    throw new ValidationError('createDefaultCoderDelegate: pass exactly one of `executor` and `sandboxClient`, not both')
  }
  if (executor !== undefined) {
    if (!executor || typeof executor.create !== 'function') throw new ValidationError('createDefaultCoderDelegate: `executor` must have a create() function')
    return executor
  }
  if (sandboxClient !== undefined) return createSiblingSandboxExecutor({ client: sandboxClient })
  throw new ValidationError('createDefaultCoderDelegate: `executor` or `sandboxClient` is required (e.g. createLocalSandboxClient(...) or detectExecutor(...))')
}

function readOptions(options: DefaultCoderDelegateOptions) {
  if (!options || typeof options !== 'object') {
    throw new ValidationError('createDefaultCoderDelegate: options must be an object {executor | sandboxClient, fanoutHarnesses?, reviewer?, winnerSelection?, ...}')
  }
  const executor = resolveExecutor(options)
  const strategy = options.winnerSelection ?? 'highest-score'
  if (!(CODER_WINNER_SELECTIONS as readonly string[]).includes(strategy)) {
    throw new ValidationError(`createDefaultCoderDelegate: winnerSelection must be one of ${CODER_WINNER_SELECTIONS.join(', ')}, got ${JSON.stringify(strategy)}`)
  }
  const maxConcurrency = options.maxConcurrency ?? 4
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new ValidationError(`createDefaultCoderDelegate: maxConcurrency must be an integer >= 1, got ${JSON.stringify(options.maxConcurrency)}`)
  }
  const harnesses = options.fanoutHarnesses ?? DEFAULT_CODER_FANOUT_HARNESSES
  if (!Array.isArray(harnesses) || harnesses.length === 0 || harnesses.some((h) => typeof h !== 'string' || h.trim() === '')) {
    throw new ValidationError(`createDefaultCoderDelegate: fanoutHarnesses must be a non-empty array of harness names, got ${JSON.stringify(options.fanoutHarnesses)}`)
  }
  if (options.reviewer !== undefined && typeof options.reviewer !== 'function') {
    throw new ValidationError('createDefaultCoderDelegate: reviewer must be a function (output, task, ctx) => CoderReview')
  }
  const harness = options.harness ?? options.fanoutHarnesses?.[0] ?? 'opencode'
  return { executor, strategy, maxConcurrency, harnesses: [...harnesses], harness }
}

/** The coder task of a `delegate_code` request: the hint goes under "## Context" in the goal; the config's checks carry over. */
function taskFromArgs(args: DelegateCodeArgs): CoderTask {
  if (!args || typeof args !== 'object') throw new ValidationError('coder delegate: args must be an object {goal, repoRoot, ...}')
  const hint = typeof args.contextHint === 'string' && args.contextHint.trim() !== '' ? args.contextHint : undefined
  const config = args.config ?? {}
  return {
    goal: hint ? `${args.goal}\n\n## Context\n${hint}` : args.goal,
    repoRoot: args.repoRoot,
    ...(config.testCmd !== undefined ? { testCmd: config.testCmd } : {}),
    ...(config.typecheckCmd !== undefined ? { typecheckCmd: config.typecheckCmd } : {}),
    ...(config.forbiddenPaths !== undefined ? { forbiddenPaths: [...config.forbiddenPaths] } : {}),
    ...(config.maxDiffLines !== undefined ? { maxDiffLines: config.maxDiffLines } : {}),
  }
}

/** Forwards loop events to the caller's emitter and turns iteration events into progress and cost. */
function progressEmitter(ctx: DelegateContext | undefined, downstream: LoopTraceEmitter | undefined): LoopTraceEmitter {
  const safely = (fn: () => void) => {
    try {
      fn()
    } catch {
      // progress is best-effort: a failing reporter never fails the delegation
    }
  }
  return {
    emit(event: LoopTraceEvent) {
      if (event.kind === 'loop.iteration.started') {
        safely(() => ctx?.report?.({ iteration: event.payload.iterationIndex, phase: 'starting' }))
      } else if (event.kind === 'loop.iteration.ended') {
        const { iterationIndex, costUsd } = event.payload
        safely(() => ctx?.report?.({ iteration: iterationIndex, phase: 'completed' }))
        if (costUsd > 0) safely(() => ctx?.addCost?.(costUsd))
      }
      return downstream?.emit(event)
    },
  }
}

/**
 * The default coder delegate of `delegate_code`. `variants ≤ 1` runs one
 * `coderProfile` candidate; more runs `multiHarnessCoderFanout` over
 * `fanoutHarnesses` sliced to `variants`, with the caller's `forbiddenPaths`
 * and `maxDiffLines` enforced on every candidate. Only mechanically valid
 * candidates (and, with a reviewer, approved ones) can win; `winnerSelection`
 * ranks them (`highest-score`, `smallest-diff`, `highest-readiness`,
 * `first-approved`), ties to the lowest index. Reports
 * `{iteration, phase: 'starting' | 'completed'}` and cost; an abort of
 * `ctx.signal` stops the loop and deletes every sandbox. Throws
 * {@link NoCoderCandidateError} ("coder delegate: no candidate passed
 * validation", "+ review" with a reviewer) when nothing qualifies.
 * @experimental
 * @example
 * const coder = createDefaultCoderDelegate({ sandboxClient, fanoutHarnesses: ['claude-code', 'codex'], winnerSelection: 'smallest-diff' })
 * const out = await coder({ goal: 'add a retry with backoff', repoRoot: '/repo', variants: 2 }, { signal, report: console.log })
 */
export function createDefaultCoderDelegate(options: DefaultCoderDelegateOptions): DefaultCoderDelegate {
  const { executor, strategy, maxConcurrency, harnesses, harness } = readOptions(options)
  const { reviewer, traceEmitter, commandTimeoutMs } = options

  return async (args: DelegateCodeArgs, ctx: DelegateContext): Promise<DefaultCoderDelegateOutput> => {
    const variants = args?.variants ?? 1
    if (typeof variants !== 'number' || !Number.isInteger(variants) || variants < 1) {
      throw new ValidationError(`coder delegate: variants must be an integer >= 1, got ${JSON.stringify(args?.variants)}`)
    }
    const task = taskFromArgs(args)
    const signal = ctx?.signal
    let selection: CoderSelection | undefined
    const selectWinner = async (iterations: readonly CoderIteration[]) => {
      selection = await selectCoderWinner(iterations, { strategy, reviewer, signal })
      return selection.winner
    }
    const loopCtx = {
      sandboxClient: executor,
      traceEmitter: progressEmitter(ctx, traceEmitter),
      ...(signal ? { signal } : {}),
      ...(options.traceId ? { traceId: options.traceId } : {}),
      ...(options.parentSpanId ? { parentSpanId: options.parentSpanId } : {}),
    }

    let usedHarnesses: string[]
    let result: Awaited<ReturnType<typeof runLoop<CoderTask, CoderOutput, string, CoderVerdict>>>
    if (variants <= 1) {
      const coder = coderProfile({ task, harness, commandTimeoutMs })
      usedHarnesses = [harness]
      result = await runLoop<CoderTask, CoderOutput, string, CoderVerdict>({
        driver: singleShotDriver(),
        agentRun: coder.agentRun,
        output: coder.output,
        validator: coder.validator,
        task: coder.task,
        maxIterations: 1,
        maxConcurrency,
        selectWinner,
        ctx: loopCtx,
      })
    } else {
      const fanout = multiHarnessCoderFanout({ task, harnesses: harnesses.slice(0, variants), n: variants, commandTimeoutMs })
      usedHarnesses = harnesses.slice(0, Math.min(variants, harnesses.length))
      result = await runLoop<CoderTask, CoderOutput, string, CoderVerdict>({
        driver: fanout.driver,
        agentRuns: fanout.agentRuns,
        output: fanout.output,
        validator: fanout.validator,
        task: fanout.task,
        maxIterations: fanout.maxIterations,
        maxConcurrency,
        selectWinner,
        ctx: loopCtx,
      })
    }

    const picked = selection?.winner
    if (!picked || !result.winner || !picked.output || !picked.verdict) {
      throw new NoCoderCandidateError(reviewer !== undefined, selection?.rejected ?? [])
    }
    return {
      winnerIndex: picked.index,
      harness: usedHarnesses[picked.index % usedHarnesses.length],
      output: picked.output,
      score: picked.verdict.score,
      candidates: result.iterations.length,
      ...(selection?.review ? { review: selection.review } : {}),
      rejected: selection?.rejected ?? [],
      runId: result.runId,
      costUsd: result.costUsd,
    }
  }
}
