/**
 * The coder profile end to end on real boxes of the local sandbox: real git
 * worktrees of a real repository, real `git diff`, real test commands.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { isAbortError } from '@tangle-network/agent-runtime'
import { createRefineDriver, runLoop } from '@tangle-network/agent-runtime/loops'
import { type CoderOutput, type CoderTask, type CoderVerdict, coderProfile, multiHarnessCoderFanout } from '@tangle-network/agent-runtime/profiles'
import { createLocalSandboxClient, initGitRepo, scriptedHarness } from '@tangle-network/agent-runtime/sandbox-local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const tmp = mkdtempSync(path.join(tmpdir(), 'coder-profile-e2e-'))
let repoRoot = ''

const SUM_BUGGY = 'export const sum = (a, b) => a - b\n'
const SUM_FIXED = 'export const sum = (a, b) => a + b\n'
const TEST = [
  "import { sum } from './sum.mjs'",
  "if (sum(2, 3) !== 5) { console.log('FAIL sum(2, 3) = ' + sum(2, 3)); process.exit(1) }",
  "console.log('ok')",
  '',
].join('\n')

beforeAll(async () => {
  repoRoot = (await initGitRepo(path.join(tmp, 'repo'), { 'sum.mjs': SUM_BUGGY, 'test.mjs': TEST, 'infra/deploy.sh': 'echo deploy\n' })).dir
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const harnesses = {
  // Fixes the bug and commits it: the diff against the base still shows the change.
  'fix-and-commit': scriptedHarness(async ({ files, exec }) => {
    await files.write('sum.mjs', SUM_FIXED)
    await exec('git -c user.name=a -c user.email=a@b -c commit.gpgsign=false commit -qam fix')
    return 'fixed and committed'
  }),
  // Fixes the bug but also drops a binary key file into a subdirectory.
  'fix-with-key': scriptedHarness(async ({ files }) => {
    await files.write('sum.mjs', SUM_FIXED)
    await files.write('certs/Client.P12', '\u0000\u0001binary')
    return 'fixed; added a client cert'
  }),
  // Fixes the bug by also touching a forbidden directory.
  'fix-in-infra': scriptedHarness(async ({ files }) => {
    await files.write('sum.mjs', SUM_FIXED)
    await files.write('infra/deploy.sh', 'echo deploy --force\n')
    return 'fixed; tweaked deploy'
  }),
  // Rewrites the file with a lot of noise.
  'noisy-fix': scriptedHarness(async ({ files }) => {
    await files.write('sum.mjs', `${SUM_FIXED}${Array.from({ length: 30 }, (_, i) => `// note ${i}`).join('\n')}\n`)
    return 'fixed with notes'
  }),
  'nothing': scriptedHarness(() => 'nothing to do'),
}

function task(extra: Partial<CoderTask> = {}): CoderTask {
  return { goal: 'Make node test.mjs pass', repoRoot, testCmd: 'node test.mjs', ...extra }
}

describe('coderProfile on real local boxes', () => {
  it('measures a committed fix from its own worktree, runs the real test there, and leaves the repository untouched', async () => {
    const client = createLocalSandboxClient({ root: path.join(tmp, 'boxes-1'), harnesses })
    const coder = coderProfile({ task: task({ typecheckCmd: 'node --check sum.mjs' }), harness: 'fix-and-commit' })
    const result = await runLoop({
      driver: createRefineDriver<CoderTask, CoderOutput, CoderVerdict>({ maxIterations: 1 }),
      agentRun: coder.agentRun,
      output: coder.output,
      validator: coder.validator,
      task: coder.task,
      maxIterations: 1,
      ctx: { sandboxClient: client },
    })
    const it0 = result.iterations[0]
    expect(it0.error).toBeUndefined()
    expect(it0.verdict).toMatchObject({ valid: true, failedChecks: [], touchedPaths: ['sum.mjs'] })
    expect(it0.output?.testResult).toEqual({ passed: true, output: 'ok\n' })
    expect(it0.output?.typecheckResult.passed).toBe(true)
    expect(it0.output?.branch).toMatch(/^agent-runtime\/box-/)
    expect(it0.output?.patch).toContain('+export const sum = (a, b) => a + b')
    expect(it0.output?.diffStats).toEqual({ filesChanged: 1, insertions: 1, deletions: 1 })
    // The user's checkout never changed, and the worktree is gone.
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' })).toBe('')
    expect(execFileSync('git', ['worktree', 'list'], { cwd: repoRoot, encoding: 'utf8' }).trim().split('\n')).toHaveLength(1)
  })

  it('rejects a binary key file, a forbidden path and an oversized diff in fan-out, and a no-op whose real test fails', async () => {
    const client = createLocalSandboxClient({ root: path.join(tmp, 'boxes-2'), harnesses })
    const fanout = multiHarnessCoderFanout({
      task: task({ forbiddenPaths: ['infra/'], maxDiffLines: 10 }),
      harnesses: ['fix-with-key', 'fix-in-infra', 'noisy-fix', 'nothing', 'fix-and-commit'],
    })
    const result = await runLoop({
      driver: fanout.driver,
      agentRuns: fanout.agentRuns,
      output: fanout.output,
      validator: fanout.validator,
      selectWinner: fanout.driver.selectWinner,
      task: fanout.task,
      maxIterations: 5,
      maxConcurrency: 5,
      ctx: { sandboxClient: client },
    })
    const byName = Object.fromEntries(result.iterations.map((i) => [i.agentRunName, i]))
    expect(byName['coder:fix-with-key'].verdict?.notes).toBe('secret-path floor: certs/Client.P12')
    expect(byName['coder:fix-in-infra'].verdict?.notes).toBe('forbidden path: infra/deploy.sh')
    expect(byName['coder:noisy-fix'].verdict?.notes).toBe('diff too large: 32 changed lines > maxDiffLines 10')
    expect(byName['coder:nothing'].verdict?.notes).toBe('no-op: the patch is empty; tests failed: FAIL sum(2, 3) = -1')
    expect(byName['coder:nothing'].output?.testResult.output).toBe('exit 1\nFAIL sum(2, 3) = -1\n')
    expect(result.decision).toBe('pick-winner')
    expect(result.winner?.agentRunName).toBe('coder:fix-and-commit')
    // Every box was deleted after its iteration.
    expect(readdirSync(path.join(tmp, 'boxes-2'))).toEqual([])
    expect(execFileSync('git', ['worktree', 'list'], { cwd: repoRoot, encoding: 'utf8' }).trim().split('\n')).toHaveLength(1)
  })

  it('stops a long-running test command when the loop is aborted', async () => {
    const client = createLocalSandboxClient({ root: path.join(tmp, 'boxes-3'), harnesses })
    const coder = coderProfile({ task: task({ testCmd: 'sleep 60' }), harness: 'nothing' })
    const box = await client.create({ git: { url: repoRoot }, backend: { type: 'nothing' } })
    const controller = new AbortController()
    const parsing = Promise.resolve().then(() => coder.output.parse([], { box, signal: controller.signal }))
    setTimeout(() => controller.abort(), 300)
    const err = await parsing.catch((e: unknown) => e)
    expect(isAbortError(err)).toBe(true)
    await box.delete()
  })
})
