import {
  AUTONOMY_LEVELS,
  clampToLevel,
  commitTargetFor,
  createGatePolicy,
  GATE_CATEGORY_GLOBS,
  levelPolicy,
  matchGlob,
  ValidationError,
} from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

describe('matchGlob', () => {
  it('matches ** across segments, * within one, and bare names at any depth', () => {
    expect(matchGlob('src/auth/session.ts', '**/auth/**')).toBe(true)
    expect(matchGlob('auth/session.ts', '**/auth/**')).toBe(true)
    expect(matchGlob('src/a/b.ts', 'src/*.ts')).toBe(false)
    expect(matchGlob('src/b.ts', 'src/*.ts')).toBe(true)
    expect(matchGlob('packages/x/package.json', 'package.json')).toBe(true)
    expect(matchGlob('docs/', 'docs/')).toBe(true)
    expect(matchGlob('./src/a.ts', 'src/**')).toBe(true)
    expect(matchGlob('src/a+b.ts', 'src/a+b.ts')).toBe(true)
    expect(matchGlob('srcXa.ts', 'src?a.ts')).toBe(true)
  })
})

describe('createGatePolicy', () => {
  const gate = createGatePolicy({ deny: ['migrations/**'], allow: ['src/**'] })

  it('proceeds with an allowlisted change and says so', () => {
    expect(gate.decide({ files: ['src/example.ts'] })).toEqual({ action: 'proceed', reasons: ['safe', 'allowlisted'], allowlisted: true })
    expect(gate.decide({ files: ['lib/x.ts'] })).toEqual({ action: 'proceed', reasons: ['safe'], allowlisted: false })
  })

  it.each([
    ['denylisted', ['migrations/001.sql'], 'denylisted: migrations/001.sql'],
    ['manifest', ['src/package.json'], 'dependency manifest or lockfile'],
    ['lockfile', ['Cargo.lock'], 'dependency manifest or lockfile'],
    ['secret', ['src/.env.local'], 'secret path'],
    ['security', ['src/auth/login.ts'], 'security: src/auth/login.ts'],
    ['payments', ['src/billing/plan.ts'], 'payments: src/billing/plan.ts'],
    ['infra', ['infra/main.tf'], 'infra: infra/main.tf'],
    ['too many files', Array.from({ length: 11 }, (_, i) => `src/f${i}.ts`), '11 files changed > maxFilesChanged 10'],
    ['nothing reported', [], 'no changed files'],
  ])('escalates a %s change, even when allowlisted', (_name, files, reason) => {
    const d = gate.decide({ files })
    expect(d.action).toBe('escalate')
    expect(d.reasons.join('\n')).toContain(reason)
  })

  it('escalates on the maxAttempts-th failed attempt, not before', () => {
    const g = createGatePolicy({ maxAttempts: 3 })
    expect(g.decide({ files: ['src/a.ts'], failedAttempts: 2 }).action).toBe('proceed')
    expect(g.decide({ files: ['src/a.ts'], failedAttempts: 3 }).reasons).toEqual(['attempt 3 failed: maxAttempts 3 reached'])
  })

  it('only escalates on the named categories (dependency manifests always)', () => {
    const g = createGatePolicy({ escalateOn: ['infra'] })
    expect(g.decide({ files: ['src/auth/login.ts'] }).action).toBe('proceed')
    expect(g.decide({ files: ['Dockerfile'] }).action).toBe('escalate')
    expect(g.decide({ files: ['go.mod'] }).action).toBe('escalate')
    expect(GATE_CATEGORY_GLOBS.dependencies).toContain('pnpm-lock.yaml')
  })

  it('rejects bad options naming the field', () => {
    expect(() => createGatePolicy({ maxFilesChanged: 0 })).toThrow(/maxFilesChanged must be a positive integer, got 0/)
    expect(() => createGatePolicy({ escalateOn: ['legal' as never] })).toThrow(ValidationError)
  })
})

describe('autonomy levels', () => {
  it('clamp whatever the config asks for', () => {
    expect(AUTONOMY_LEVELS).toEqual(['L0', 'L1', 'L2', 'L3'])
    expect(clampToLevel('L0', { run: true, commit: 'target-branch' })).toEqual({ run: false, commit: 'none', clamped: ['run → plan only (L0)'] })
    expect(clampToLevel('L1', { commit: 'throwaway-branch' })).toEqual({ run: true, commit: 'none', clamped: ['commit throwaway-branch → none (L1)'] })
    expect(clampToLevel('L2', { commit: 'target-branch' }).commit).toBe('throwaway-branch')
    expect(clampToLevel('L3', { commit: 'target-branch' })).toEqual({ run: true, commit: 'target-branch', clamped: [] })
    expect(clampToLevel('L3', { commit: 'none' }).commit).toBe('none')
    expect(levelPolicy('L1')).toMatchObject({ runs: true, writesRepository: false })
    expect(() => levelPolicy('L4' as never)).toThrow(/must be one of L0, L1, L2, L3/)
  })

  it('commit to the target branch only for an allowlisted, approved change; never on escalation', () => {
    expect(commitTargetFor('target-branch', { action: 'proceed', reasons: ['safe', 'allowlisted'], allowlisted: true })).toBe('target-branch')
    expect(commitTargetFor('target-branch', { action: 'proceed', reasons: ['safe'], allowlisted: false })).toBe('throwaway-branch')
    expect(commitTargetFor('target-branch', { action: 'escalate', reasons: ['x'], allowlisted: true })).toBe('none')
  })
})
