import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { SandboxGitDiff } from '@tangle-network/agent-runtime-core'
import { AgentRuntimeError, ValidationError } from '@tangle-network/agent-runtime-core'

/** Identity and config used for the commits this package makes itself (never the user's signing setup or hooks). */
const INTERNAL_CONFIG = [
  '-c',
  'user.name=agent-runtime',
  '-c',
  'user.email=agent-runtime@localhost',
  '-c',
  'commit.gpgsign=false',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.quotepath=false',
]

/** Variables that would redirect git away from the directory we point it at. */
const GIT_REDIRECT_VARS = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_COMMON_DIR', 'GIT_PREFIX', 'GIT_NAMESPACE']

/** A git command failed. `code` is `git`. @experimental */
export class GitCommandError extends AgentRuntimeError {
  readonly args: readonly string[]
  readonly stderr: string
  readonly exitCode: number | null
  constructor(args: readonly string[], exitCode: number | null, stderr: string) {
    super('git', `git ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().slice(0, 2000)}`)
    this.args = args
    this.stderr = stderr
    this.exitCode = exitCode
  }
}

function gitEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }
  for (const name of GIT_REDIRECT_VARS) delete env[name]
  return { ...env, ...extra }
}

/** Runs git in `cwd` and returns stdout; throws {@link GitCommandError} on a nonzero exit. @experimental */
export function runGit(cwd: string, args: readonly string[], options: { env?: Record<string, string> } = {}): Promise<string> {
  const fullArgs = [...INTERNAL_CONFIG, ...args]
  return new Promise((resolve, reject) => {
    execFile('git', fullArgs, { cwd, env: gitEnv(options.env), maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const code = typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code as number) : null
        reject(new GitCommandError(args, code, stderr || error.message))
      } else {
        resolve(stdout)
      }
    })
  })
}

const LOCK_ERROR = /\.lock['"]?: File exists|could not lock|Unable to create .*\.lock|unable to lock|is locked/i

/** Runs git, retrying a few times when another git process holds a lock on the repository. */
export async function runGitRetrying(cwd: string, args: readonly string[], attempts = 8): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await runGit(cwd, args)
    } catch (err) {
      if (!(err instanceof GitCommandError) || !LOCK_ERROR.test(err.stderr) || attempt >= attempts) throw err
      await new Promise((r) => setTimeout(r, 40 * attempt))
    }
  }
}

const repoLocks = new Map<string, Promise<unknown>>()

/**
 * Serializes worktree mutations per repository inside this process: `git
 * worktree add/remove` and branch creation take repository-wide locks, so
 * concurrent boxes of one repo queue here instead of failing on `*.lock`.
 */
export function withRepoLock<T>(repoKey: string, fn: () => Promise<T>): Promise<T> {
  const previous = repoLocks.get(repoKey) ?? Promise.resolve()
  const next = previous.then(fn, fn)
  const settled = next.then(
    () => {},
    () => {},
  )
  repoLocks.set(repoKey, settled)
  void settled.then(() => {
    if (repoLocks.get(repoKey) === settled) repoLocks.delete(repoKey)
  })
  return next
}

/** Returns the repository's common git dir (shared by all its worktrees), as an absolute path. */
export async function gitCommonDir(repoRoot: string): Promise<string> {
  const out = (await runGit(repoRoot, ['rev-parse', '--git-common-dir'])).trim()
  return path.resolve(repoRoot, out)
}

/** Options of {@link initGitRepo}. @experimental */
export interface InitGitRepoOptions {
  /** Commit message of the initial commit. Default `initial commit`. */
  message?: string
  /** Initial branch name. Default `main`. */
  branch?: string
}

/**
 * Creates (or reuses) a git repository at `dir`, writes `files` (relative
 * path → content) into it and commits everything. Handy for demos and tests
 * that need a small real repository to point sandboxes at.
 * @example
 * const { dir, commit } = await initGitRepo('/tmp/sample', { 'src/sum.js': 'export const sum = (a, b) => a - b\n' })
 * @experimental
 */
export async function initGitRepo(
  dir: string,
  files: Record<string, string>,
  options: InitGitRepoOptions = {},
): Promise<{ dir: string; commit: string }> {
  const root = path.resolve(dir)
  await mkdir(root, { recursive: true })
  await runGit(root, ['init', '-q', '-b', options.branch ?? 'main'])
  for (const [rel, content] of Object.entries(files)) {
    const target = path.resolve(root, rel)
    const inside = path.relative(root, target)
    if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new ValidationError(`initGitRepo: file path ${JSON.stringify(rel)} is not inside ${root}; use a relative path without '..'.`)
    }
    await mkdir(path.dirname(target), { recursive: true })
    await writeFile(target, content)
  }
  await runGit(root, ['add', '-A'])
  await runGit(root, ['commit', '-q', '--allow-empty', '-m', options.message ?? 'initial commit'])
  const commit = (await runGit(root, ['rev-parse', 'HEAD'])).trim()
  return { dir: root, commit }
}

function splitNul(out: string): string[] {
  const parts = out.split('\0')
  if (parts[parts.length - 1] === '') parts.pop()
  return parts
}

/**
 * Diffs the working tree of `workdir` (tracked changes, new untracked files,
 * deletions, and any commits made since) against `ref`. Untracked files are
 * staged into a throwaway index (`GIT_INDEX_FILE`), so the box's real index
 * is never touched. Ignored files (`.gitignore`) are left out.
 * @example
 * const { files, additions } = await diffWorkdir(box.workdir, box.baseCommit)
 * @experimental
 */
export async function diffWorkdir(workdir: string, ref: string): Promise<SandboxGitDiff> {
  if (typeof ref !== 'string' || ref === '' || ref.startsWith('-')) {
    // A leading dash would make git read the ref as an option (e.g. `--output=<file>`).
    throw new ValidationError(`diffWorkdir: ref must be a commit sha, branch or tag, got ${JSON.stringify(ref)}.`)
  }
  const realIndex = path.resolve(workdir, (await runGit(workdir, ['rev-parse', '--git-path', 'index'])).trim())
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'agent-runtime-diff-'))
  const index = path.join(tmp, 'index')
  try {
    // Starting from a copy of the real index keeps git's stat cache, so only changed files are rehashed.
    // The copy keeps the original's mtime: git rehashes "racily clean" entries (modified no earlier than
    // the index was written), and a fresh mtime would hide a same-size edit made in the checkout's second.
    await copyFile(realIndex, index)
      .then(async () => {
        const original = await stat(realIndex)
        await utimes(index, original.atime, original.mtime)
      })
      .catch(() => {})
    const env = { GIT_INDEX_FILE: index }
    await runGit(workdir, ['add', '-A'], { env })
    const common = ['diff', '--cached', '--no-color', '--no-ext-diff', '--no-renames', ref, '--']
    const [raw, numstat, nameStatus] = await Promise.all([
      runGit(workdir, common, { env }),
      runGit(workdir, ['diff', '--cached', '--no-renames', '--numstat', '-z', ref, '--'], { env }),
      runGit(workdir, ['diff', '--cached', '--no-renames', '--name-status', '-z', ref, '--'], { env }),
    ])
    const statusByPath = new Map<string, string>()
    const ns = splitNul(nameStatus)
    for (let i = 0; i + 1 < ns.length; i += 2) statusByPath.set(ns[i + 1], statusName(ns[i]))
    const files: NonNullable<SandboxGitDiff['files']> = []
    let additions = 0
    let deletions = 0
    for (const entry of splitNul(numstat)) {
      const [add, del, ...rest] = entry.split('\t')
      const filePath = rest.join('\t')
      const a = add === '-' ? 0 : Number(add)
      const d = del === '-' ? 0 : Number(del)
      additions += a
      deletions += d
      files.push({ path: filePath, status: statusByPath.get(filePath) ?? 'modified', additions: a, deletions: d })
    }
    return { raw, additions, deletions, files }
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
}

function statusName(code: string): string {
  switch (code[0]) {
    case 'A':
      return 'added'
    case 'D':
      return 'deleted'
    case 'T':
      return 'type-changed'
    default:
      return 'modified'
  }
}
