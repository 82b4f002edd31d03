// The delegated code/review/dynamic runners over real git worktrees (sandbox-local) with scripted harnesses.
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { coderLoopRunner, dynamicLoopRunner, reviewLoopRunner, runDelegatedLoop, type SandboxEvent, ValidationError } from '@tangle-network/agent-runtime-core'
import { createLocalSandboxClient, initGitRepo, type LocalSandboxClient, scriptedHarness, usageEvent } from '@tangle-network/agent-runtime-sandbox-local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let tmp: string
let repo: string
let client: LocalSandboxClient

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'delegated-runners-'))
  repo = path.join(tmp, 'repo')
  await initGitRepo(repo, { 'src/sum.js': 'export const sum = (a, b) => a - b\n', 'test.sh': 'grep -q "a + b" src/sum.js\n' })
  client = createLocalSandboxClient({
    root: path.join(tmp, 'boxes'),
    harnesses: {
      // Fixes the bug in one line.
      small: scriptedHarness(async ({ files }) => {
        await files.write('src/sum.js', 'export const sum = (a, b) => a + b\n')
        return ['fixed', usageEvent({ inputTokens: 100, outputTokens: 50 })]
      }),
      // Fixes it too, with a bigger diff.
      big: scriptedHarness(async ({ files }) => {
        await files.write('src/sum.js', '// sum two numbers\n// (fixed)\nexport const sum = (a, b) => a + b\n')
        return ['fixed verbosely', usageEvent({ inputTokens: 100, outputTokens: 80 })]
      }),
      // Touches nothing: the no-op rejection must refuse it.
      noop: scriptedHarness(async () => 'nothing to do'),
    },
  })
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const args = () => ({ goal: 'make sum add', repoRoot: repo, variants: 2, config: { testCmd: 'sh test.sh' } })

describe('coderLoopRunner', () => {
  it('fans out over real worktrees, runs the tests, and picks the smallest diff', async () => {
    const res = await runDelegatedLoop('code', { code: coderLoopRunner({ sandboxClient: client, args: args(), fanoutHarnesses: ['big', 'small'], winnerSelection: 'smallest-diff' }) })
    expect(res.ok).toBe(true)
    const out = res.output as { harness: string; candidates: number; output: { patch: string; testResult: { passed: boolean } } }
    expect(out.harness).toBe('coder:small')
    expect(out.candidates).toBe(2)
    expect(out.output.testResult.passed).toBe(true)
    expect(out.output.patch).toContain('+export const sum = (a, b) => a + b')
  }, 120_000)

  it('records ok:false when no candidate passes (the no-op is rejected)', async () => {
    const res = await runDelegatedLoop('code', { code: coderLoopRunner({ sandboxClient: client, args: { ...args(), variants: 1 }, fanoutHarnesses: ['noop'] }) })
    expect(res.ok).toBe(false)
    expect(res.error).toMatch(/no candidate passed/)
  }, 120_000)

  it('runs an injected delegate (e.g. the MCP coder delegate) with a no-op report', async () => {
    const seen: unknown[] = []
    const run = coderLoopRunner({
      sandboxClient: client,
      args: args(),
      delegate: async (a, ctx) => {
        ctx.report({ iteration: 0, phase: 'x' })
        seen.push(a.goal)
        return { winnerIndex: 0, candidates: 1 }
      },
    })
    expect((await runDelegatedLoop('code', { code: run })).output).toEqual({ winnerIndex: 0, candidates: 1 })
    expect(seen).toEqual(['make sum add'])
  })
})

describe('reviewLoopRunner', () => {
  it('requires a reviewer and lets only approved candidates win', async () => {
    // @ts-expect-error the reviewer is required by type
    expect(() => reviewLoopRunner({ sandboxClient: client, args: args() })).toThrow(ValidationError)
    const reviewed: string[] = []
    const res = await runDelegatedLoop('review', {
      review: reviewLoopRunner({
        sandboxClient: client,
        args: args(),
        fanoutHarnesses: ['small', 'big'],
        winnerSelection: 'highest-readiness',
        reviewer: (output) => {
          const verbose = output.patch.includes('(fixed)')
          reviewed.push(verbose ? 'big' : 'small')
          return { approved: verbose, readiness: 0.9, notes: verbose ? 'documented' : 'needs a comment' }
        },
      }),
    })
    expect(res.ok).toBe(true)
    expect((res.output as { harness: string }).harness).toBe('coder:big')
    expect((res.output as { output: { reviewerNotes: string } }).output.reviewerNotes).toBe('documented')
    expect(reviewed.sort()).toEqual(['big', 'small'])
  }, 120_000)
})

describe('dynamicLoopRunner', () => {
  it('lets the planner choose the topology and honours the delegated budget', async () => {
    const planner = ({ history }: { history: readonly unknown[] }) =>
      history.length === 0 ? { kind: 'fanout' as const, tasks: ['a', 'b'], rationale: 'try two' } : { kind: 'refine' as const, task: 'c' }
    const run = dynamicLoopRunner<string, number>({
      sandboxClient: client,
      planner,
      task: 'root',
      output: { parse: (events: SandboxEvent[]) => events.length },
      agentRun: { profile: { name: 'p', metadata: { backendType: 'small' } }, taskToPrompt: (t) => t },
      maxIterations: 6,
    })
    const res = await runDelegatedLoop('dynamic', { dynamic: run }, { budget: { maxTokens: 500 } })
    // Each iteration spends 150 tokens: the fan-out (300) fits, a third (450) fits, a fourth would not.
    expect(res.decision).toBe('budget-exceeded')
    expect(res.budget).toMatchObject({ limit: 'maxTokens', spent: { tokens: 450 } })
    // Every box (a git worktree) was deleted.
    expect(execFileSync('git', ['worktree', 'list'], { cwd: repo, encoding: 'utf8' }).trim().split('\n')).toHaveLength(1)
  }, 120_000)
})
