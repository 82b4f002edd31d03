import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createGitWorkspace, createKillSwitch, createScriptedTickBackend, parseLoopRegistry, runPattern } from '@tangle-network/agent-runtime-cli'
import { type AutonomyLevel, createBudgetBreaker, createGatePolicy, createMemoryBudgetLedger, runTick } from '@tangle-network/agent-runtime-core'
import { afterAll, describe, expect, it } from 'vitest'
import { gitRepo, REGISTRY } from './bin-helpers.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const refs = (dir: string) => execFileSync('git', ['for-each-ref', '--format=%(refname) %(objectname)'], { cwd: dir, encoding: 'utf8' })
const pattern = { id: 'p', name: 'P', goal: 'g' }
const gate = createGatePolicy({ deny: ['migrations/**'], allow: ['src/**'], maxFilesChanged: 3, maxAttempts: 2 })

describe('gates on real worktrees: every escalation case never commits', () => {
  const cases: Array<[string, Record<string, string>, number?]> = [
    ['a denylisted path', { 'migrations/001.sql': 'x' }],
    ['a dependency manifest', { 'package.json': '{}' }],
    ['a lockfile', { 'src/pnpm-lock.yaml': 'x' }],
    ['more than maxFilesChanged files', { 'src/a.ts': '1', 'src/b.ts': '2', 'src/c.ts': '3', 'src/d.ts': '4' }],
    ['a security path', { 'src/auth/session.ts': 'x' }],
    ['a payments path', { 'src/billing/invoice.ts': 'x' }],
    ['an infra path', { '.github/workflows/ci.yml': 'x' }],
  ]
  for (const [what, files] of cases) {
    it(`${what} escalates at L3 and leaves every ref as it was`, async () => {
      const dir = gitRepo(dirs)
      const before = refs(dir)
      const res = await runTick({ pattern, level: 'L3', backend: createScriptedTickBackend({ files }), workspace: createGitWorkspace({ repoRoot: dir }), gate })
      expect(res.outcome).toBe('escalated')
      expect(res.gate?.action).toBe('escalate')
      expect(res.commit).toBeUndefined()
      expect(res.patch).toContain(`+++ b/${Object.keys(files)[0]}`)
      expect(refs(dir)).toBe(before)
    }, 60_000)
  }

  it('the maxAttempts-th failed attempt escalates', async () => {
    const dir = gitRepo(dirs)
    const before = refs(dir)
    const res = await runTick({ pattern, level: 'L3', backend: createScriptedTickBackend({ approve: false }), workspace: createGitWorkspace({ repoRoot: dir }), gate, failedAttempts: 1 })
    expect(res.verdict?.verdict).toBe('reject')
    expect(res.outcome).toBe('escalated')
    expect(res.gate?.reasons.join()).toContain('maxAttempts 2 reached')
    expect(refs(dir)).toBe(before)
  }, 60_000)
})

describe('autonomy levels clamp what the config asks for', () => {
  const run = async (level: AutonomyLevel, files?: Record<string, string>) => {
    const dir = gitRepo(dirs)
    const before = refs(dir)
    const head = execFileSync('git', ['rev-parse', 'main'], { cwd: dir, encoding: 'utf8' }).trim()
    const res = await runTick({ pattern, level, backend: createScriptedTickBackend(files ? { files } : {}), workspace: createGitWorkspace({ repoRoot: dir }), gate, request: { commit: 'target-branch' } })
    return { dir, before, head, res, main: execFileSync('git', ['rev-parse', 'main'], { cwd: dir, encoding: 'utf8' }).trim() }
  }
  it('L0 plans and runs nothing', async () => {
    const { res, before, dir } = await run('L0')
    expect(res).toMatchObject({ outcome: 'planned', usage: { tokens: 0 } })
    expect(res.clamped).toEqual(['run → plan only (L0)'])
    expect(refs(dir)).toBe(before)
  }, 60_000)
  it('L1 proposes and never writes the repository', async () => {
    const { res, before, dir } = await run('L1')
    expect(res).toMatchObject({ outcome: 'proposed', files: ['src/example.ts'] })
    expect(res.patch).toContain('+export const example = true')
    expect(res.clamped).toEqual(['commit target-branch → none (L1)'])
    expect(refs(dir)).toBe(before)
  }, 60_000)
  it('L2 commits to a throwaway branch, never the target branch', async () => {
    const { res, head, main, dir } = await run('L2')
    expect(res).toMatchObject({ outcome: 'committed', commitTarget: 'throwaway-branch' })
    expect(main).toBe(head)
    expect(execFileSync('git', ['rev-parse', res.branch!], { cwd: dir, encoding: 'utf8' }).trim()).toBe(res.commit)
  }, 60_000)
  it('L3 moves the target branch only for an allowlisted, gate-approved change', async () => {
    const ok = await run('L3')
    expect(ok.res.commitTarget).toBe('target-branch')
    expect(ok.main).toBe(ok.res.commit)
    const notAllowed = await run('L3', { 'lib/x.ts': 'x' })
    expect(notAllowed.res.commitTarget).toBe('throwaway-branch')
    expect(notAllowed.main).toBe(notAllowed.head)
  }, 60_000)
})

describe('kill-switch in flight', () => {
  it('a KILL file created mid-tick stops the run before the next iteration spends', async () => {
    const dir = gitRepo(dirs)
    const breaker = createBudgetBreaker({ ledger: createMemoryBudgetLedger(), dailyTokenCap: 100_000, killSwitch: createKillSwitch(dir) })
    // The operator's KILL lands while the implementer works.
    const kill = createScriptedTickBackend({
      afterImplement: () => {
        execFileSync('mkdir', ['-p', join(dir, '.agent-runtime')])
        writeFileSync(join(dir, '.agent-runtime', 'KILL'), '')
      },
    })
    const res = await runTick({ pattern, level: 'L2', backend: kill, workspace: createGitWorkspace({ repoRoot: dir }), gate, breaker })
    expect(res.outcome).toBe('halted')
    expect(res.halt?.kind).toBe('kill-switch')
    // triage + implement ran; the review never did.
    expect(res.usage.tokens).toBe(4000)
    const next = await runTick({ pattern, level: 'L2', backend: kill, workspace: createGitWorkspace({ repoRoot: dir }), gate, breaker, tick: 2 })
    expect(next).toMatchObject({ outcome: 'halted', usage: { tokens: 0 } })
  }, 60_000)
})

describe('failed attempts carry over through the run log', () => {
  it('rejects, rejects again, then escalates on the maxAttempts-th failure, across separate runs', async () => {
    const dir = gitRepo(dirs)
    const registry = parseLoopRegistry(REGISTRY.replace('allow: ["src/**"]', 'allow: ["src/**"]\n      max_attempts: 3'), 'registry.yaml')
    const pattern = registry.patterns[0]!
    const run = () =>
      runPattern({ pattern, level: 'L2', root: dir, backend: createScriptedTickBackend({ approve: false }), workspace: createGitWorkspace({ repoRoot: dir }), dryRun: true, dailyCap: 100_000, clock: () => Date.UTC(2026, 4, 1) })
    const first = await run()
    const second = await run()
    const third = await run()
    expect([first, second, third].map((s) => s.ticks[0]!.outcome)).toEqual(['rejected', 'rejected', 'escalated'])
    expect(third.ticks[0]!.gate?.reasons).toContain('attempt 3 failed: maxAttempts 3 reached')
    expect(readFileSync(join(dir, 'STATE.md'), 'utf8')).toContain('## Waiting for a person')
  }, 120_000)
})
