import { type AutonomyLevel, clampToLevel, createGatePolicy, type GatePolicyOptions, levelPolicy } from '@tangle-network/agent-runtime-core'
import type { LoopPattern } from './patterns.js'

/** A pattern resolved against a level: what a tick will do, its cap and gate. @experimental */
export interface ExecutionPlan {
  patternId: string
  name: string
  goal: string
  cadence: string
  level: AutonomyLevel
  levelDescription: string
  /** Daily token cap: `--daily-cap`, else `cost.suggested_daily_cap`, else none. */
  dailyTokenCap?: number
  gate: Required<GatePolicyOptions>
  phases: string[]
  commit: 'none' | 'throwaway-branch' | 'target-branch'
  testCmd?: string
}

/**
 * Resolves a pattern at a level (default its `week_one_mode`, else L1).
 * @experimental
 * @example
 * const plan = buildPlan(pattern, { level: 'L2' })
 */
export function buildPlan(pattern: LoopPattern, options: { level?: AutonomyLevel; dailyCap?: number } = {}): ExecutionPlan {
  const level = options.level ?? pattern.week_one_mode ?? 'L1'
  const hg = pattern.human_gates
  const gateOptions: GatePolicyOptions = Array.isArray(hg)
    ? { deny: hg }
    : {
        ...(hg.deny ? { deny: hg.deny } : {}),
        ...(hg.allow ? { allow: hg.allow } : {}),
        ...(hg.max_files_changed ? { maxFilesChanged: hg.max_files_changed } : {}),
        ...(hg.max_attempts ? { maxAttempts: hg.max_attempts } : {}),
        ...(hg.escalate_on ? { escalateOn: hg.escalate_on } : {}),
      }
  const cap = options.dailyCap ?? pattern.cost?.suggested_daily_cap
  return {
    patternId: pattern.id,
    name: pattern.name,
    goal: pattern.goal,
    cadence: pattern.cadence,
    level,
    levelDescription: levelPolicy(level).description,
    ...(cap !== undefined ? { dailyTokenCap: cap } : {}),
    gate: createGatePolicy(gateOptions).options,
    phases: pattern.phases.map((p) => (typeof p === 'string' ? p : Object.keys(p)[0] ?? 'phase')),
    commit: clampToLevel(level).commit,
    ...(pattern.test_cmd ? { testCmd: pattern.test_cmd } : {}),
  }
}
