import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, normalize } from 'node:path'
import { ConfigError } from '@tangle-network/agent-runtime-core'
import { lineDiff } from '../text-edits.js'
import type { ImprovementDriver, ProposeContext, ProposedCandidate } from '../types.js'
import { type GitRunner, execGit } from './git.js'

/** A code surface: the full contents of the surface files, by path relative to the repository. @experimental */
export interface CodeSurface {
  kind: 'code'
  files: Record<string, string>
}

/** A proposed patch: new contents for some surface files. @experimental */
export interface CodePatchProposal {
  label: string
  rationale: string
  files: Record<string, string>
}

/** Options of {@link improvementDriver}. @experimental */
export interface ImprovementDriverOptions {
  /** The repository holding the surface files. */
  repoDir: string
  /** Commit every worktree starts from (default `HEAD`). */
  baseRef?: string
  /** Files a patch may change, relative to `repoDir`; anything else is refused. */
  surfaceFiles: readonly string[]
  /** Proposes patches against the incumbent (an LLM coder, a rule miner, your own). */
  propose(ctx: ProposeContext<CodeSurface>): Promise<CodePatchProposal[]>
  /** Validates each patch in its worktree; exit 0 keeps it. */
  testCommand: { command: string; args?: readonly string[]; timeoutMs?: number }
  git?: GitRunner
}

/** The code driver plus what the loop's `runWithSurface` needs. @experimental */
export interface CodeImprovementDriver extends ImprovementDriver<CodeSurface> {
  /** The surface files as they are at `baseRef`: the loop's `baselineSurface`. */
  baseline(): Promise<CodeSurface>
  /** Checks `surface` out in a fresh git worktree, runs `fn` in it, and removes it. */
  withWorktree<R>(surface: CodeSurface, fn: (dir: string) => Promise<R>): Promise<R>
}

function runCommand(cwd: string, cmd: ImprovementDriverOptions['testCommand']): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd.command, [...(cmd.args ?? [])], { cwd, timeout: cmd.timeoutMs ?? 300_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0
      resolve({ code, output: `${stdout}${stderr}`.trim().slice(-500) })
    })
  })
}

/**
 * A line diff per changed file between two code surfaces.
 * @experimental
 * @example
 * codeSurfaceDiff(result.baselineSurface, result.winnerSurface) // '--- rules.txt\n  a\n+ b'
 */
export function codeSurfaceDiff(before: CodeSurface, after: CodeSurface): string {
  const paths = [...new Set([...Object.keys(before.files), ...Object.keys(after.files)])].sort()
  return paths
    .filter((p) => before.files[p] !== after.files[p])
    .map((p) => `--- ${p}\n${lineDiff(before.files[p] ?? '', after.files[p] ?? '')}`)
    .join('\n')
}

/**
 * The improvement loop's driver for code: a candidate is a patch to surface
 * files, applied in its own git worktree and kept only when the test command
 * passes there. Use it with `runImprovementLoop` and the same gate as prompts;
 * `withWorktree` runs each scenario against the candidate's checkout. Node-only.
 * @experimental
 * @example
 * const code = improvementDriver({ repoDir, surfaceFiles: ['prompts/rules.md'], propose, testCommand: { command: 'npm', args: ['test'] } })
 * await runImprovementLoop({ baselineSurface: await code.baseline(), driver: code, runWithSurface: (s, sc) => code.withWorktree(s, (dir) => runAgent(dir, sc)), scenarios, judges, gate, storage })
 */
export function improvementDriver(options: ImprovementDriverOptions): CodeImprovementDriver {
  if (!options?.repoDir) throw new ConfigError('improvementDriver: `repoDir` is required (the repository holding the surface files).')
  if (!options.surfaceFiles?.length) throw new ConfigError('improvementDriver: `surfaceFiles` is empty; name the files a patch may change.')
  if (!options.testCommand?.command) throw new ConfigError('improvementDriver: `testCommand.command` is required; it validates every patch.')
  const surfaceFiles = options.surfaceFiles.map((f) => normalize(f))
  for (const f of surfaceFiles) if (isAbsolute(f) || f.startsWith('..')) throw new ConfigError(`improvementDriver: surface file '${f}' must be inside repoDir.`)
  const git = options.git ?? execGit
  const baseRef = options.baseRef ?? 'HEAD'
  let rejected: Array<{ label: string; reason: string }> = []
  // git serialises worktree bookkeeping badly under concurrency: one add/remove at a time.
  let lock: Promise<unknown> = Promise.resolve()
  const locked = <R>(fn: () => Promise<R>): Promise<R> => {
    const run = lock.then(fn, fn)
    lock = run.catch(() => {})
    return run
  }

  const withWorktree = async <R>(surface: CodeSurface, fn: (dir: string) => Promise<R>): Promise<R> => {
    const parent = await mkdtemp(join(tmpdir(), 'agent-runtime-improve-'))
    const dir = join(parent, 'tree')
    await locked(() => git(options.repoDir, ['worktree', 'add', '--detach', dir, baseRef]))
    try {
      for (const [rel, content] of Object.entries(surface.files)) {
        await mkdir(dirname(join(dir, rel)), { recursive: true })
        await writeFile(join(dir, rel), content)
      }
      return await fn(dir)
    } finally {
      await locked(() => git(options.repoDir, ['worktree', 'remove', '--force', dir])).catch(() => {})
      await rm(parent, { recursive: true, force: true })
    }
  }

  return {
    kind: 'code-patch',
    withWorktree,
    lastRejected: () => rejected,
    async baseline() {
      const files: Record<string, string> = {}
      for (const f of surfaceFiles) files[f] = await git(options.repoDir, ['show', `${baseRef}:${f}`]).catch(() => readFile(join(options.repoDir, f), 'utf8'))
      return { kind: 'code', files }
    },
    async propose(ctx) {
      rejected = []
      const out: ProposedCandidate<CodeSurface>[] = []
      for (const p of await options.propose(ctx)) {
        const outside = Object.keys(p.files).filter((f) => !surfaceFiles.includes(normalize(f)))
        if (outside.length) {
          rejected.push({ label: p.label, reason: `touches ${outside.join(', ')}, which ${outside.length > 1 ? 'are not surface files' : 'is not a surface file'}` })
          continue
        }
        const surface: CodeSurface = { kind: 'code', files: { ...ctx.incumbent.surface.files } }
        for (const [f, content] of Object.entries(p.files)) surface.files[normalize(f)] = content
        const check = await withWorktree(surface, (dir) => runCommand(dir, options.testCommand))
        if (check.code !== 0) {
          rejected.push({ label: p.label, reason: `test command failed (exit ${check.code}): ${check.output}` })
          continue
        }
        out.push({ surface, label: p.label, rationale: p.rationale })
      }
      return out
    },
  }
}
