import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TickWorkspace, TickWorktree } from '@tangle-network/agent-runtime-core'
import { git } from './node-io.js'

/** Options of {@link createGitWorkspace}. @experimental */
export interface GitWorkspaceOptions {
  /** The repository a tick works on. */
  repoRoot: string
  /** The branch L3 may move. Default: the branch checked out in `repoRoot`. */
  targetBranch?: string
  /** Run in the worktree to verify a change (via `sh -c`); none by default. */
  testCmd?: string
  /** Longest the tests may run. Default 600 000 ms. */
  testTimeoutMs?: number
  /** Committer identity of tick commits. */
  author?: { name: string; email: string }
}

/**
 * A {@link TickWorkspace} over real `git worktree`s: a detached worktree for
 * L1 (no ref is written), a new throwaway branch for L2/L3, removed after
 * the tick; a committed throwaway branch is kept for people to review.
 * @experimental
 * @example
 * const workspace = createGitWorkspace({ repoRoot: process.cwd(), testCmd: 'npm test' })
 */
export function createGitWorkspace(options: GitWorkspaceOptions): TickWorkspace {
  const { repoRoot } = options
  const author = options.author ?? { name: 'agent-runtime-loop', email: 'agent-runtime-loop@localhost' }
  return {
    async open({ branch }) {
      const base = (await git(repoRoot, ['rev-parse', 'HEAD'])).trim()
      const target = options.targetBranch ?? (await git(repoRoot, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim()
      const parent = mkdtempSync(join(tmpdir(), 'agent-runtime-tick-'))
      const path = join(parent, 'wt')
      await git(repoRoot, branch ? ['worktree', 'add', '-q', '-b', branch, path, base] : ['worktree', 'add', '-q', '--detach', path, base])
      const changedFiles = async () => {
        await git(path, ['add', '-A'])
        const out = await git(path, ['diff', '--cached', '--name-only', base])
        return out.split('\n').filter(Boolean)
      }
      const wt: TickWorktree = {
        path,
        ...(branch ? { branch } : {}),
        changedFiles,
        async diff() {
          await git(path, ['add', '-A'])
          return git(path, ['diff', '--cached', base])
        },
        ...(options.testCmd
          ? {
              runChecks: () =>
                new Promise<{ passed: boolean; output: string }>((resolve) => {
                  execFile('sh', ['-c', options.testCmd!], { cwd: path, timeout: options.testTimeoutMs ?? 600_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
                    resolve({ passed: !err, output: `${stdout}${stderr}` }),
                  )
                }),
            }
          : {}),
        async commit(message) {
          if (!branch) throw new Error('commit needs a throwaway branch (this level does not write the repository)')
          await git(path, ['add', '-A'])
          await git(path, ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`, 'commit', '-q', '--no-verify', '-m', message])
          return (await git(path, ['rev-parse', 'HEAD'])).trim()
        },
        async promote(commit) {
          // Only a fast-forward: the target must still be where the tick started.
          const checkedOut = (await git(repoRoot, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim()
          if (checkedOut === target) await git(repoRoot, ['merge', '-q', '--ff-only', commit])
          else await git(repoRoot, ['update-ref', `refs/heads/${target}`, commit, base])
        },
        async discard({ keepBranch }) {
          await git(repoRoot, ['worktree', 'remove', '--force', path]).catch(() => undefined)
          rmSync(parent, { recursive: true, force: true })
          await git(repoRoot, ['worktree', 'prune']).catch(() => undefined)
          if (branch && !keepBranch) await git(repoRoot, ['branch', '-D', branch]).catch(() => undefined)
        },
      }
      return wt
    },
  }
}
