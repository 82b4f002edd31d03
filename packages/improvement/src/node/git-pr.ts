import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, isAbsolute, join, normalize } from 'node:path'
import { ConfigError } from '@tangle-network/agent-runtime-core'
import { hashSurface } from '../campaign.js'
import type { PromptPromoter } from '../optimize-prompt.js'
import { type GitRunner, execGit, identityArgs } from './git.js'

/** Options of {@link createGitPrPromoter}. @experimental */
export interface GitPrPromoterOptions {
  /** The repository that holds the prompt. */
  repoDir: string
  /** The prompt file, relative to `repoDir`. */
  promptFile: string
  /** Branch name prefix (default `improve/prompt-`); the prompt hash follows. */
  branchPrefix?: string
  /** Base branch of the PR (default: the branch checked out in `repoDir`). */
  base?: string
  ghOwner?: string
  ghRepo?: string
  git?: GitRunner
  /** Where the `gh pr create` command is printed (default stderr). */
  log?(message: string): void
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`)

/**
 * A promoter for `autoOnPromote: 'pr'`: commits the shipped prompt to
 * `promptFile` on a new branch (through a temporary git worktree, so your
 * checkout is untouched) and prints the `gh pr create` command that would
 * open the pull request. It never pushes and never runs `gh`. Node-only.
 * @experimental
 * @example
 * const promoter = createGitPrPromoter({ repoDir: '.', promptFile: 'prompts/support.md', ghOwner: 'acme', ghRepo: 'support-bot' })
 */
export function createGitPrPromoter(options: GitPrPromoterOptions): PromptPromoter {
  if (!options.repoDir) throw new ConfigError('createGitPrPromoter: `repoDir` is required (the repository holding the prompt).')
  const rel = normalize(options.promptFile ?? '')
  if (!options.promptFile || isAbsolute(rel) || rel.startsWith('..')) {
    throw new ConfigError(`createGitPrPromoter: promptFile must be a path inside repoDir; received '${String(options.promptFile)}'.`)
  }
  const git = options.git ?? execGit
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`))
  return async (promotion) => {
    const base = options.base ?? (await git(options.repoDir, ['rev-parse', '--abbrev-ref', 'HEAD'])).trim()
    const branch = `${options.branchPrefix ?? 'improve/prompt-'}${await hashSurface(promotion.prompt)}`
    const dir = await mkdtemp(join(tmpdir(), 'agent-runtime-pr-'))
    const tree = join(dir, 'tree')
    try {
      await git(options.repoDir, ['worktree', 'add', '-b', branch, tree, base])
      await mkdir(dirname(join(tree, rel)), { recursive: true })
      await writeFile(join(tree, rel), promotion.prompt)
      await git(tree, ['add', '--', rel])
      const title = `Improve ${rel}: ${promotion.label}`
      const message = `${title}\n\n${promotion.rationale}\n\nHeld-out gate: ship (delta ${promotion.delta.toFixed(3)}).\n`
      await git(tree, [...(await identityArgs(git, tree)), 'commit', '-m', message])
      const commit = (await git(tree, ['rev-parse', 'HEAD'])).trim()
      const body = [promotion.rationale, '', ...promotion.reasons.map((r) => `- ${r}`)].join('\n')
      const command = ['gh', 'pr', 'create', ...(options.ghOwner && options.ghRepo ? ['--repo', `${options.ghOwner}/${options.ghRepo}`] : []), '--base', base, '--head', branch, '--title', title, '--body', body]
      log(`committed the shipped prompt on branch ${branch} (${commit.slice(0, 12)}); to open the pull request run:\n${command.map(shellQuote).join(' ')}`)
      return { branch, commit, command }
    } finally {
      await git(options.repoDir, ['worktree', 'remove', '--force', tree]).catch(() => {})
      await rm(dir, { recursive: true, force: true })
    }
  }
}
