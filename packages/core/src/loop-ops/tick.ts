import { errorMessage } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import { type AutonomyLevel, type CommitTarget, clampToLevel, commitTargetFor, type TickRequest } from './autonomy.js'
import type { BreakerStatus, BudgetBreaker } from './breaker.js'
import type { GateDecision, GatePolicy } from './gates.js'

/** The part of a loop pattern a tick needs. @experimental */
export interface TickPattern {
  id: string
  name: string
  goal: string
  /** The pattern's LOOP.md body, for the agent. */
  instructions?: string
}

/** Usage of one backend call. @experimental */
export interface TickUsage {
  tokens: number
  costUsd?: number
}

/** Triage's call. @experimental */
export type TriageDecision = 'noop' | 'report' | 'act'

/** The agent behind a tick (scripted, `claude -p`, …): triage, implement, and optionally review. @experimental */
export interface TickBackend {
  readonly name: string
  /** Discover and triage: nothing to do, something to report, or something to act on. */
  triage(input: { pattern: TickPattern; tick: number }, signal: AbortSignal): Promise<{ decision: TriageDecision; summary: string; usage?: TickUsage }>
  /** Makes the change inside `workdir` (an isolated worktree). */
  implement(input: { pattern: TickPattern; tick: number; triage: string; workdir: string }, signal: AbortSignal): Promise<{ summary: string; usage?: TickUsage }>
  /** The checker of maker/checker: reviews the proposed change. */
  review?(input: { pattern: TickPattern; files: readonly string[]; diff: string }, signal: AbortSignal): Promise<{ approved: boolean; notes?: string; usage?: TickUsage }>
}

/** An isolated copy of the repository for one attempt. @experimental */
export interface TickWorktree {
  readonly path: string
  /** The throwaway branch, when one was created. */
  readonly branch?: string
  changedFiles(): Promise<string[]>
  diff(): Promise<string>
  /** The pattern's tests; undefined when it has none. */
  runChecks?(): Promise<{ passed: boolean; output: string }>
  /** Commits every change to the worktree's throwaway branch; returns the commit id. */
  commit(message: string): Promise<string>
  /** Moves the target branch to `commit` (L3 only). */
  promote(commit: string): Promise<void>
  /** Removes the worktree; `keepBranch` keeps a committed throwaway branch for people to review. */
  discard(options: { keepBranch: boolean }): Promise<void>
}

/** Opens worktrees: detached (no branch, nothing written to the repository's refs) or on a new throwaway branch. @experimental */
export interface TickWorkspace {
  open(options: { branch?: string }): Promise<TickWorktree>
}

/** The verifier's verdict on a proposed change. @experimental */
export interface TickVerdict {
  verdict: 'accept' | 'reject'
  reasons: string[]
}

/** What one tick did; written to the run log as is. @experimental */
export interface TickResult {
  tick: number
  patternId: string
  level: AutonomyLevel
  backend: string
  decision: 'plan' | TriageDecision | 'halted'
  outcome: 'planned' | 'noop' | 'reported' | 'proposed' | 'rejected' | 'escalated' | 'committed' | 'halted' | 'failed'
  summary?: string
  files: string[]
  /** The change as a unified diff (capped at 200,000 chars) when it waits for a person: proposed (L1) or escalated. */
  patch?: string
  verdict?: TickVerdict
  gate?: GateDecision
  commitTarget?: CommitTarget
  branch?: string
  commit?: string
  usage: { tokens: number; costUsd: number }
  halt?: { kind: BreakerStatus['halt']; reason?: string }
  clamped: string[]
  error?: string
  startedAt: number
  endedAt: number
}

/** Options of {@link runTick}. @experimental */
export interface RunTickOptions {
  pattern: TickPattern
  level: AutonomyLevel
  backend: TickBackend
  workspace: TickWorkspace
  gate: GatePolicy
  /** Checked before the tick (a reservation) and before every backend call; records every call's usage. */
  breaker?: BudgetBreaker
  /** What the config asked for; the level clamps it. */
  request?: TickRequest
  tick?: number
  /** Failed attempts at this goal before this tick (for the gate's `maxAttempts`). */
  failedAttempts?: number
  clock?: Clock
  signal?: AbortSignal
  /** One line per phase, for progress output. */
  onPhase?(phase: string): void
}

/**
 * Runs one loop tick: discover and triage (noop, report or act), implement in
 * a worktree, verify (changed files, the pattern's tests, the optional
 * reviewer), gate, then commit or escalate. The autonomy level clamps every
 * step: L0 only plans, L1 proposes from a detached worktree and writes
 * nothing, L2 commits to a throwaway branch, L3 may move the target branch
 * for an allowlisted, gate-approved change. An escalation never commits.
 * Never throws for a backend failure: the result says `failed`.
 * @experimental
 * @example
 * const result = await runTick({ pattern, level: 'L2', backend, workspace, gate: createGatePolicy({ allow: ['src/**'] }), breaker })
 */
export async function runTick(options: RunTickOptions): Promise<TickResult> {
  const clock = options.clock ?? systemClock
  const { pattern, level, backend, workspace, gate, breaker } = options
  const signal = options.signal ?? new AbortController().signal
  const tick = options.tick ?? 1
  const clampedReq = clampToLevel(level, options.request)
  const phase = (p: string) => options.onPhase?.(p)
  const result: TickResult = {
    tick,
    patternId: pattern.id,
    level,
    backend: backend.name,
    decision: 'plan',
    outcome: 'planned',
    files: [],
    usage: { tokens: 0, costUsd: 0 },
    clamped: clampedReq.clamped,
    startedAt: clock(),
    endedAt: 0,
  }
  const done = (): TickResult => {
    result.endedAt = clock()
    return result
  }
  if (!clampedReq.run) {
    phase('plan only: nothing run')
    return done()
  }
  const halted = (s: BreakerStatus): TickResult => {
    result.decision = 'halted'
    result.outcome = 'halted'
    result.halt = { kind: s.halt, ...(s.reason ? { reason: s.reason } : {}) }
    return done()
  }
  const record = async (usage: TickUsage | undefined) => {
    if (!usage) return
    const tokens = Math.max(0, usage.tokens || 0)
    const costUsd = Math.max(0, usage.costUsd ?? 0)
    result.usage.tokens += tokens
    result.usage.costUsd += costUsd
    await breaker?.record({ tokens, costUsd })
  }
  // Before every backend call: the kill-switch and the day's cap.
  const guard = async (): Promise<BreakerStatus | undefined> => {
    if (!breaker) return undefined
    const s = await breaker.guard()
    return s.ok ? undefined : s
  }

  let worktree: TickWorktree | undefined
  let keepBranch = false
  try {
    if (breaker) {
      const s = await breaker.check()
      if (!s.ok) return halted(s)
    }
    phase('triage')
    const triage = await backend.triage({ pattern, tick }, signal)
    await record(triage.usage)
    result.decision = triage.decision
    result.summary = triage.summary
    if (triage.decision === 'noop') {
      result.outcome = 'noop'
      return done()
    }
    if (triage.decision === 'report') {
      result.outcome = 'reported'
      return done()
    }
    const writes = clampedReq.commit !== 'none'
    const branch = writes ? `agent-runtime/${pattern.id}/tick-${tick}-${result.startedAt.toString(36)}` : undefined
    let s = await guard()
    if (s) return halted(s)
    phase('implement')
    worktree = await workspace.open(branch ? { branch } : {})
    if (worktree.branch) result.branch = worktree.branch
    const made = await backend.implement({ pattern, tick, triage: triage.summary, workdir: worktree.path }, signal)
    await record(made.usage)
    result.summary = made.summary
    result.files = await worktree.changedFiles()
    phase('verify')
    const verdict = await verify(worktree, result.files, options, pattern, signal, record, guard)
    if ('halt' in verdict) return halted(verdict.halt)
    result.verdict = verdict
    const failedAttempts = (options.failedAttempts ?? 0) + (verdict.verdict === 'reject' ? 1 : 0)
    phase('gate')
    const decision = gate.decide({ files: result.files, failedAttempts })
    result.gate = decision
    // A rejected change is discarded, unless it is the maxAttempts-th failure: then a person takes over.
    if (verdict.verdict === 'reject' && failedAttempts < gate.options.maxAttempts) {
      result.outcome = 'rejected'
      return done()
    }
    // Nothing a person must judge is lost when the worktree goes: the diff stays in the result (and the run log).
    const keepPatch = async () => {
      result.patch = (await worktree!.diff()).slice(0, 200_000)
    }
    if (decision.action === 'escalate') {
      result.outcome = 'escalated'
      await keepPatch()
      return done()
    }
    const target = commitTargetFor(clampedReq.commit, decision)
    result.commitTarget = target
    if (target === 'none') {
      result.outcome = 'proposed'
      await keepPatch()
      return done()
    }
    s = await guard()
    if (s) return halted(s)
    phase('commit')
    result.commit = await worktree.commit(`${pattern.name}: ${made.summary}`.slice(0, 200))
    keepBranch = true
    if (target === 'target-branch') await worktree.promote(result.commit)
    result.outcome = 'committed'
    return done()
  } catch (err) {
    result.outcome = 'failed'
    result.error = errorMessage(err)
    return done()
  } finally {
    if (worktree) await worktree.discard({ keepBranch }).catch(() => undefined)
    await breaker?.settle().catch(() => undefined)
  }
}

async function verify(
  worktree: TickWorktree,
  files: string[],
  options: RunTickOptions,
  pattern: TickPattern,
  signal: AbortSignal,
  record: (u: TickUsage | undefined) => Promise<void>,
  guard: () => Promise<BreakerStatus | undefined>,
): Promise<TickVerdict | { halt: BreakerStatus }> {
  const reasons: string[] = []
  if (files.length === 0) reasons.push('no-op: the change touches no file')
  if (worktree.runChecks) {
    const checks = await worktree.runChecks()
    if (!checks.passed) reasons.push(`tests failed: ${checks.output.trim().split('\n').slice(-3).join(' | ')}`)
  }
  if (reasons.length === 0 && options.backend.review) {
    const s = await guard()
    if (s) return { halt: s }
    const review = await options.backend.review({ pattern, files, diff: await worktree.diff() }, signal)
    await record(review.usage)
    if (!review.approved) reasons.push(`reviewer rejected: ${review.notes ?? 'no notes'}`)
  }
  return reasons.length ? { verdict: 'reject', reasons } : { verdict: 'accept', reasons: ['tests and validator passed'] }
}
