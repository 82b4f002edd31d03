// The code variant of the loop: candidates are patches to surface files in
// real git worktrees, validated by a real test command, decided by the same gate.
import { execFileSync } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { type Scenario, createMemoryCampaignStorage, heldOutGate, runImprovementLoop } from '@tangle-network/agent-runtime/improvement'
import { type CodePatchProposal, type CodeSurface, codeSurfaceDiff, improvementDriver } from '@tangle-network/agent-runtime/improvement/node'
import { initGitRepo } from '@tangle-network/agent-runtime/sandbox-local'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const RULES = 'Greet the user.\n'
// The repository's own test: rules.txt must not contain the word BROKEN.
const CHECK = "const t = require('node:fs').readFileSync('rules.txt', 'utf8'); if (t.includes('BROKEN')) { console.error('rules.txt is broken'); process.exit(3) }\n"

describe('improvementDriver', () => {
  it('keeps only patches that touch surface files and pass the test command, and the held-out gate ships the real improvement', { timeout: 120_000 }, async () => {
    const root = await tempDir('code')
    dirs.push(root)
    const { dir } = await initGitRepo(join(root, 'repo'), { 'rules.txt': RULES, 'check.cjs': CHECK })
    const code = improvementDriver({
      repoDir: dir,
      surfaceFiles: ['rules.txt'],
      testCommand: { command: process.execPath, args: ['check.cjs'], timeoutMs: 60_000 },
      propose: async (ctx): Promise<CodePatchProposal[]> =>
        ctx.generation === 0
          ? [
              { label: 'broken', rationale: 'oops', files: { 'rules.txt': `${RULES}BROKEN\n` } },
              { label: 'edits the test', rationale: 'cheat', files: { 'check.cjs': 'process.exit(0)\n' } },
              { label: 'units', rationale: 'answers lacked units', files: { 'rules.txt': `${RULES}Always state units.\n` } },
            ]
          : [],
    })
    const baseline = await code.baseline()
    expect(baseline).toEqual({ kind: 'code', files: { 'rules.txt': RULES } })
    // The agent reads the checked-out rules file: a scenario passes when the rule it needs is there.
    const runWithSurface = (surface: CodeSurface, s: Scenario & { needs: string }) =>
      code.withWorktree(surface, async (wt) => ({ pass: (await readFile(join(wt, 'rules.txt'), 'utf8')).includes(s.needs) ? 1 : 0 }))
    const scen = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, needs: i % 3 === 0 ? 'Greet' : 'units' }))
    const result = await runImprovementLoop({
      baselineSurface: baseline,
      runWithSurface,
      scenarios: scen('t', 3),
      judges: [{ name: 'pass', score: (o: { pass: number }) => o.pass }],
      driver: code,
      gate: heldOutGate<CodeSurface>({ scenarios: scen('h', 9) }),
      storage: createMemoryCampaignStorage(),
      maxGenerations: 1,
      maxConcurrency: 3,
    })
    expect(result.generations[0]!.rejected).toEqual([
      { label: 'broken', reason: 'test command failed (exit 3): rules.txt is broken' },
      { label: 'edits the test', reason: 'touches check.cjs, which is not a surface file' },
    ])
    expect(result.decision).toBe('ship')
    expect(result.winnerSurface.files['rules.txt']).toBe(`${RULES}Always state units.\n`)
    expect(codeSurfaceDiff(result.baselineSurface, result.winnerSurface)).toBe('--- rules.txt\n  Greet the user.\n+ Always state units.\n  ')
    // Every worktree was removed, and the repository itself is unchanged.
    expect(execFileSync('git', ['worktree', 'list'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')).toHaveLength(1)
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: dir, encoding: 'utf8' })).toBe('')
  })

  it('rejects bad configuration with the field named', () => {
    const ok = { repoDir: '/tmp', surfaceFiles: ['a'], propose: async () => [], testCommand: { command: 'true' } }
    expect(() => improvementDriver({ ...ok, repoDir: '' })).toThrow(/repoDir/)
    expect(() => improvementDriver({ ...ok, surfaceFiles: [] })).toThrow(/surfaceFiles/)
    expect(() => improvementDriver({ ...ok, surfaceFiles: ['../x'] })).toThrow(/must be inside repoDir/)
    expect(() => improvementDriver({ ...ok, testCommand: { command: '' } })).toThrow(/testCommand/)
  })
})
