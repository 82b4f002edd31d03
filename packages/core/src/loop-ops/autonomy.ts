import { ValidationError } from '../errors.js'
import type { GateDecision } from './gates.js'

/** Autonomy levels, from a plan on paper (L0) to unattended commits (L3). @experimental */
export const AUTONOMY_LEVELS = ['L0', 'L1', 'L2', 'L3'] as const

/** One of {@link AUTONOMY_LEVELS}. @experimental */
export type AutonomyLevel = (typeof AUTONOMY_LEVELS)[number]

/** Where a tick's accepted change may land. @experimental */
export type CommitTarget = 'none' | 'throwaway-branch' | 'target-branch'

/** What a level lets a tick do, whatever the config asks. @experimental */
export interface LevelPolicy {
  level: AutonomyLevel
  /** One line for people. */
  description: string
  /** Calls the backend at all (L0 only plans). */
  runs: boolean
  /** Creates branches or commits in the repository (L2 and L3). */
  writesRepository: boolean
  /** The furthest a change may go. */
  maxCommit: CommitTarget
}

const POLICIES: Record<AutonomyLevel, LevelPolicy> = {
  L0: { level: 'L0', description: 'draft: a plan, nothing run', runs: false, writesRepository: false, maxCommit: 'none' },
  L1: { level: 'L1', description: 'report only: runs and proposes, never writes the repository', runs: true, writesRepository: false, maxCommit: 'none' },
  L2: { level: 'L2', description: 'assisted: commits to a throwaway branch, never the target branch', runs: true, writesRepository: true, maxCommit: 'throwaway-branch' },
  L3: { level: 'L3', description: 'unattended: may commit allowlisted, gate-approved changes to the target branch', runs: true, writesRepository: true, maxCommit: 'target-branch' },
}

/**
 * True when `value` is an autonomy level.
 * @experimental
 * @example
 * isAutonomyLevel('L2') // true
 */
export function isAutonomyLevel(value: unknown): value is AutonomyLevel {
  return typeof value === 'string' && (AUTONOMY_LEVELS as readonly string[]).includes(value)
}

/**
 * The policy of a level; throws `ValidationError` for anything but L0–L3.
 * @experimental
 * @example
 * levelPolicy('L1').writesRepository // false
 */
export function levelPolicy(level: AutonomyLevel): LevelPolicy {
  if (!isAutonomyLevel(level)) throw new ValidationError(`autonomy level must be one of ${AUTONOMY_LEVELS.join(', ')}, got ${JSON.stringify(level)}`)
  return POLICIES[level]
}

/** What a config asked a tick to do; the level clamps it. @experimental */
export interface TickRequest {
  /** Run the backend (false: plan only). */
  run?: boolean
  /** Where accepted changes should land. */
  commit?: CommitTarget
}

/** A request after clamping, with what was taken away. @experimental */
export interface ClampedTick {
  run: boolean
  commit: CommitTarget
  /** One line per clamp, for the run log. */
  clamped: string[]
}

const RANK: Record<CommitTarget, number> = { none: 0, 'throwaway-branch': 1, 'target-branch': 2 }

/**
 * Clamps what a config asked for to what `level` allows.
 * @experimental
 * @example
 * clampToLevel('L2', { commit: 'target-branch' }) // → { run: true, commit: 'throwaway-branch', clamped: ['commit target-branch → throwaway-branch (L2)'] }
 */
export function clampToLevel(level: AutonomyLevel, request: TickRequest = {}): ClampedTick {
  const policy = levelPolicy(level)
  const clamped: string[] = []
  let run = request.run ?? true
  if (run && !policy.runs) {
    clamped.push(`run → plan only (${level})`)
    run = false
  }
  let commit = request.commit ?? policy.maxCommit
  if (!run) commit = 'none'
  else if (RANK[commit] > RANK[policy.maxCommit]) {
    clamped.push(`commit ${commit} → ${policy.maxCommit} (${level})`)
    commit = policy.maxCommit
  }
  return { run, commit, clamped }
}

/**
 * Where an accepted change lands: nothing when the gate escalates, the
 * target branch only for an allowlisted, gate-approved change under a
 * target-branch allowance, else at most the throwaway branch.
 * @experimental
 * @example
 * commitTargetFor('throwaway-branch', { action: 'proceed', reasons: ['safe'], allowlisted: false }) // 'throwaway-branch'
 */
export function commitTargetFor(allowed: CommitTarget, gate: GateDecision): CommitTarget {
  if (gate.action !== 'proceed') return 'none'
  if (allowed === 'target-branch' && !gate.allowlisted) return 'throwaway-branch'
  return allowed
}
