/**
 * A tiny repository with a failing test and scripted coding agents that edit
 * their own git worktree of it, for coder-delegate tests over the real local sandbox.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { initGitRepo, type LocalHarness, scriptedHarness, usageEvent } from '@tangle-network/agent-runtime/sandbox-local'

export const SUM_BUGGY = 'export const sum = (a, b) => a - b\n'
export const SUM_FIXED = 'export const sum = (a, b) => a + b\n'
const TEST = [
  "import { sum } from './sum.mjs'",
  "if (sum(2, 3) !== 5) { console.log('FAIL sum(2, 3) = ' + sum(2, 3)); process.exit(1) }",
  "console.log('ok')",
  '',
].join('\n')

/** Creates the sample repository (sum.mjs with a bug, test.mjs, infra/deploy.sh) and returns its path. */
export async function createSumRepo(dir: string): Promise<string> {
  return (await initGitRepo(dir, { 'sum.mjs': SUM_BUGGY, 'test.mjs': TEST, 'infra/deploy.sh': 'echo deploy\n' })).dir
}

/** Prompts each harness received, by harness name. */
export type PromptLog = Record<string, string[]>

/** The scripted agents: fixes of several sizes, bad changes, and one that blocks until aborted. */
export function coderHarnesses(prompts: PromptLog = {}, onBlocked?: () => void): Record<string, LocalHarness> {
  const logged = (name: string, prompt: string) => {
    prompts[name] ??= []
    prompts[name].push(prompt)
  }
  return {
    // The smallest fix: one line changed (2 diff lines).
    'fix-small': scriptedHarness(
      async ({ files, prompt }) => {
        logged('fix-small', prompt)
        await files.write('sum.mjs', SUM_FIXED)
        return ['fixed', usageEvent({ inputTokens: 100, outputTokens: 10, costUsd: 0.25 })]
      },
      { name: 'fix-small' },
    ),
    // A fix with five extra comment lines (7 diff lines).
    'fix-noisy': scriptedHarness(
      async ({ files, prompt }) => {
        logged('fix-noisy', prompt)
        await files.write('sum.mjs', `${SUM_FIXED}${Array.from({ length: 5 }, (_, i) => `// note ${i}`).join('\n')}\n`)
        return ['fixed with notes', usageEvent({ inputTokens: 100, outputTokens: 10, costUsd: 0.5 })]
      },
      { name: 'fix-noisy' },
    ),
    // Fixes the bug but also touches infra/.
    'fix-in-infra': scriptedHarness(
      async ({ files, prompt }) => {
        logged('fix-in-infra', prompt)
        await files.write('sum.mjs', SUM_FIXED)
        await files.write('infra/deploy.sh', 'echo deploy --force\n')
        return 'fixed; tweaked deploy'
      },
      { name: 'fix-in-infra' },
    ),
    // Drops a key into .env and fixes nothing.
    'leak-secret': scriptedHarness(
      async ({ files, prompt }) => {
        logged('leak-secret', prompt)
        await files.write('.env', 'API_KEY=sk_test_FAKE\n')
        return 'added the key'
      },
      { name: 'leak-secret' },
    ),
    // Changes nothing.
    nothing: scriptedHarness(
      ({ prompt }) => {
        logged('nothing', prompt)
        return 'looks fine to me'
      },
      { name: 'nothing' },
    ),
    // Starts, says so, and waits for the abort.
    blocker: scriptedHarness(
      async ({ signal, prompt }) => {
        logged('blocker', prompt)
        onBlocked?.()
        await new Promise<void>((resolve) => {
          if (signal.aborted) resolve()
          else signal.addEventListener('abort', () => resolve(), { once: true })
        })
        return 'stopped'
      },
      { name: 'blocker' },
    ),
  }
}

/** Box directories left under a local sandbox root. */
export function boxesLeft(root: string): string[] {
  try {
    return readdirSync(root)
  } catch {
    return []
  }
}

/** Worktrees registered in a repository (1 = only the main checkout). */
export function worktreeCount(repo: string): number {
  return execFileSync('git', ['worktree', 'list'], { cwd: repo, encoding: 'utf8' }).trim().split('\n').length
}

/** `git status --porcelain` of the main checkout. */
export function repoStatus(repo: string): string {
  return execFileSync('git', ['status', '--porcelain'], { cwd: path.resolve(repo), encoding: 'utf8' })
}
