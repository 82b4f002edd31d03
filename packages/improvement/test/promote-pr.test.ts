import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createMemoryCampaignStorage, optimizePrompt } from '@tangle-network/agent-runtime/improvement'
import { initGitRepo } from '@tangle-network/agent-runtime/sandbox-local'
import { afterEach, describe, expect, it } from 'vitest'
import { qualityJudge, reflectionBackend, scenarios, tempDir } from './helpers.js'

const BASELINE = 'You answer questions.'
const BETTER = 'You answer questions. Always cite your sources.'
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim()

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const options = (repoDir: string, log: string[]) => ({
  baselinePrompt: BASELINE,
  runWithPrompt: (prompt: string) => ({ quality: prompt.includes('cite') ? 0.9 : 0.4 }),
  scenarios: scenarios('train', 4),
  holdoutScenarios: scenarios('holdout', 8),
  judges: [qualityJudge],
  runDir: 'unused',
  storage: createMemoryCampaignStorage(),
  reflection: { llm: reflectionBackend([{ label: 'cite', payload: BETTER, rationale: 'answers lacked sources' }]) },
  maxGenerations: 1,
  repoDir,
  promptFile: 'prompts/system.md',
  ghOwner: 'acme',
  ghRepo: 'support-bot',
  onProgress: (m: string) => log.push(m),
})

describe("autoOnPromote: 'pr'", () => {
  it('commits the shipped prompt on a new branch of the real repository, leaves the checkout alone, and prints the gh pr create command', async () => {
    const root = await tempDir('pr')
    dirs.push(root)
    const { dir, commit } = await initGitRepo(join(root, 'repo'), { 'prompts/system.md': BASELINE, 'README.md': '# bot\n' })
    const log: string[] = []
    const result = await optimizePrompt({ ...options(dir, log), autoOnPromote: 'pr' })
    expect(result.decision).toBe('ship')
    const pr = result.pr!
    expect(pr.branch).toMatch(/^improve\/prompt-[0-9a-f]{16}$/)
    expect(git(dir, 'show', `${pr.branch}:prompts/system.md`)).toBe(BETTER)
    expect(git(dir, 'rev-parse', pr.branch)).toBe(pr.commit)
    expect(git(dir, 'rev-parse', `${pr.branch}~1`)).toBe(commit)
    expect(git(dir, 'log', '-1', '--format=%s', pr.branch)).toBe('Improve prompts/system.md: cite')
    // The user's checkout is untouched: same branch, same commit, same file, no extra worktree left.
    expect(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main')
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(commit)
    expect(readFileSync(join(dir, 'prompts/system.md'), 'utf8')).toBe(BASELINE)
    expect(git(dir, 'worktree', 'list').split('\n')).toHaveLength(1)
    expect(pr.command.slice(0, 9)).toEqual(['gh', 'pr', 'create', '--repo', 'acme/support-bot', '--base', 'main', '--head', pr.branch])
    expect(pr.command).toContain('Improve prompts/system.md: cite')
    expect(log.join('\n')).toMatch(new RegExp(`to open the pull request run:\\ngh pr create --repo acme/support-bot --base main --head ${pr.branch.replace('/', '\\/')} --title 'Improve prompts/system.md: cite'`))
  })

  it("'none' (the default) creates no branch", async () => {
    const root = await tempDir('pr-none')
    dirs.push(root)
    const { dir } = await initGitRepo(join(root, 'repo'), { 'prompts/system.md': BASELINE })
    const result = await optimizePrompt(options(dir, []))
    expect(result.decision).toBe('ship')
    expect(result.pr).toBeUndefined()
    expect(git(dir, 'branch', '--list').split('\n')).toHaveLength(1)
  })
})
