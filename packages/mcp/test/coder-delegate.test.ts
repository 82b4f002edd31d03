/**
 * createDefaultCoderDelegate over the real local sandbox: every candidate in
 * its own git worktree of a real repository, its patch read with git and its
 * test really run. The agents are scripted harnesses.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { isAbortError, type LoopTraceEvent, ValidationError } from '@tangle-network/agent-runtime'
import {
  type CoderReview,
  type CoderReviewer,
  createDefaultCoderDelegate,
  type DefaultCoderDelegateOptions,
  NoCoderCandidateError,
} from '@tangle-network/agent-runtime/mcp'
import { createLocalSandboxClient } from '@tangle-network/agent-runtime/sandbox-local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { boxesLeft, coderHarnesses, createSumRepo, type PromptLog, repoStatus, worktreeCount } from './coder-fixtures.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'coder-delegate-'))
let repoRoot = ''
let boxCounter = 0

beforeAll(async () => {
  repoRoot = await createSumRepo(path.join(tmp, 'repo'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

interface Progress {
  iteration: number
  phase: string
}

function setup(options: Omit<DefaultCoderDelegateOptions, 'sandboxClient' | 'executor'>, onBlocked?: () => void) {
  const prompts: PromptLog = {}
  const root = path.join(tmp, `boxes-${++boxCounter}`)
  const sandboxClient = createLocalSandboxClient({ root, harnesses: coderHarnesses(prompts, onBlocked) })
  const delegate = createDefaultCoderDelegate({ sandboxClient, ...options })
  const progress: Progress[] = []
  const costs: number[] = []
  const controller = new AbortController()
  const ctx = { signal: controller.signal, report: (p: Progress) => progress.push(p), addCost: (usd: number) => costs.push(usd) }
  return { delegate, ctx, progress, costs, prompts, root, controller }
}

const args = (extra: Record<string, unknown> = {}) => ({ goal: 'Make node test.mjs pass', repoRoot, config: { testCmd: 'node test.mjs' }, ...extra })

const reviewBy =
  (byHarnessPatch: (patch: string) => CoderReview): CoderReviewer =>
  (output) =>
    byHarnessPatch(output.patch)
const isNoisy = (patch: string) => patch.includes('// note 0')

describe('createDefaultCoderDelegate: selection over real worktrees', () => {
  it('highest-score (default) picks the smallest valid fix in a fan-out and reports progress and cost', async () => {
    const { delegate, ctx, progress, costs, root } = setup({ fanoutHarnesses: ['fix-noisy', 'fix-small'] })
    const out = await delegate(args({ variants: 2 }), ctx)
    expect(out.winnerIndex).toBe(1)
    expect(out.harness).toBe('fix-small')
    expect(out.candidates).toBe(2)
    expect(out.output.patch).toContain('+export const sum = (a, b) => a + b')
    expect(out.output.testResult).toEqual({ passed: true, output: 'ok\n' })
    expect(out.score).toBeCloseTo(0.5 + 0.3 + 0.2 * (1 - 2 / 400), 6)
    expect(out.rejected).toEqual([])
    expect(out.costUsd).toBeCloseTo(0.75, 6)
    expect(costs.reduce((a, b) => a + b, 0)).toBeCloseTo(0.75, 6)
    const sorted = [...progress].sort((a, b) => a.iteration - b.iteration || a.phase.localeCompare(b.phase))
    expect(sorted).toEqual([
      { iteration: 0, phase: 'completed' },
      { iteration: 0, phase: 'starting' },
      { iteration: 1, phase: 'completed' },
      { iteration: 1, phase: 'starting' },
    ])
    // Per iteration, 'starting' comes before 'completed'.
    for (const i of [0, 1]) {
      expect(progress.findIndex((p) => p.iteration === i && p.phase === 'starting')).toBeLessThan(progress.findIndex((p) => p.iteration === i && p.phase === 'completed'))
    }
    expect(boxesLeft(root)).toEqual([])
    expect(worktreeCount(repoRoot)).toBe(1)
    expect(repoStatus(repoRoot)).toBe('')
  })

  it('smallest-diff picks fewest changed lines; first-approved the lowest valid index; ties go to the lowest index', async () => {
    const smallest = setup({ fanoutHarnesses: ['fix-noisy', 'fix-small'], winnerSelection: 'smallest-diff' })
    expect((await smallest.delegate(args({ variants: 2 }), smallest.ctx)).harness).toBe('fix-small')

    const first = setup({ fanoutHarnesses: ['leak-secret', 'fix-noisy', 'fix-small'], winnerSelection: 'first-approved' })
    const firstOut = await first.delegate(args({ variants: 3 }), first.ctx)
    expect([firstOut.winnerIndex, firstOut.harness]).toEqual([1, 'fix-noisy'])
    expect(firstOut.rejected).toEqual([
      { iterationIndex: 0, agentRunName: 'coder:leak-secret', reason: expect.stringMatching(/^invalid: secret-path floor: \.env/) },
    ])

    // Two identical candidates tie on every strategy: the lowest index wins.
    for (const winnerSelection of ['highest-score', 'smallest-diff', 'highest-readiness', 'first-approved'] as const) {
      const tie = setup({ fanoutHarnesses: ['fix-small', 'fix-small'], winnerSelection, maxConcurrency: 2 })
      const out = await tie.delegate(args({ variants: 2 }), tie.ctx)
      expect(out.winnerIndex, winnerSelection).toBe(0)
    }
  }, 120_000)

  it('highest-readiness follows the reviewer, and only approved candidates can win (reviewer gate)', async () => {
    const reviewer = reviewBy((patch) =>
      isNoisy(patch) ? { approved: true, recommendation: 'ship', readiness: 0.95 } : { approved: true, recommendation: 'approve-with-nits', readiness: 0.6 },
    )
    const ready = setup({ fanoutHarnesses: ['fix-small', 'fix-noisy'], winnerSelection: 'highest-readiness', reviewer })
    const out = await ready.delegate(args({ variants: 2 }), ready.ctx)
    expect([out.winnerIndex, out.harness]).toEqual([1, 'fix-noisy'])
    expect(out.review).toEqual({ approved: true, recommendation: 'ship', readiness: 0.95 })

    // The gate: the small fix is not approved, so the noisy one wins even under smallest-diff.
    const gatekeeper = reviewBy((patch) =>
      isNoisy(patch)
        ? { approved: true, recommendation: 'ship', readiness: 0.7 }
        : { approved: false, recommendation: 'changes-requested', readiness: 0.2, notes: 'add a regression test' },
    )
    const gated = setup({ fanoutHarnesses: ['fix-small', 'fix-noisy'], winnerSelection: 'smallest-diff', reviewer: gatekeeper })
    const gatedOut = await gated.delegate(args({ variants: 2 }), gated.ctx)
    expect(gatedOut.harness).toBe('fix-noisy')
    expect(gatedOut.rejected).toEqual([
      { iterationIndex: 0, agentRunName: 'coder:fix-small', reason: 'not approved by review (changes-requested: add a regression test)' },
    ])
  }, 120_000)

  it('throws "no candidate passed validation" when every candidate is rejected, naming each reason', async () => {
    const { delegate, ctx, root } = setup({ fanoutHarnesses: ['nothing', 'leak-secret'] })
    const err = await delegate(args({ variants: 2 }), ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NoCoderCandidateError)
    const message = (err as Error).message
    expect(message.startsWith('coder delegate: no candidate passed validation (')).toBe(true)
    expect(message).not.toContain('+ review')
    expect(message).toContain('#0 coder:nothing invalid: no-op: the patch is empty')
    expect(message).toContain('#1 coder:leak-secret invalid: secret-path floor: .env')
    expect((err as NoCoderCandidateError).code).toBe('no_candidate')
    expect(boxesLeft(root)).toEqual([])
  })

  it('throws "... + review" when the reviewer approves nothing; a throwing or malformed reviewer rejects, never approves', async () => {
    const reviews: number[] = []
    const reviewer: CoderReviewer = (_output, _task, { iterationIndex }) => {
      reviews.push(iterationIndex)
      if (iterationIndex === 0) throw new Error('reviewer model unavailable')
      return { approved: true, recommendation: 'ship', readiness: 7 } // readiness out of range
    }
    const { delegate, ctx } = setup({ fanoutHarnesses: ['fix-small', 'fix-noisy', 'nothing'], reviewer })
    const err = await delegate(args({ variants: 3 }), ctx).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(NoCoderCandidateError)
    const message = (err as Error).message
    expect(message.startsWith('coder delegate: no candidate passed validation + review (')).toBe(true)
    expect(message).toContain('#0 coder:fix-small reviewer threw: reviewer model unavailable')
    expect(message).toContain('#1 coder:fix-noisy reviewer returned an invalid review (readiness:')
    // Only mechanically valid candidates are reviewed.
    expect(reviews.sort()).toEqual([0, 1])
  }, 60_000)

  it('keeps the caller forbiddenPaths and maxDiffLines in fan-out', async () => {
    const { delegate, ctx } = setup({ fanoutHarnesses: ['fix-in-infra', 'fix-noisy', 'fix-small'] })
    const out = await delegate(args({ variants: 3, config: { testCmd: 'node test.mjs', forbiddenPaths: ['infra/'], maxDiffLines: 5 } }), ctx)
    expect(out.harness).toBe('fix-small')
    expect(out.rejected).toEqual([
      { iterationIndex: 0, agentRunName: 'coder:fix-in-infra', reason: 'invalid: forbidden path: infra/deploy.sh' },
      { iterationIndex: 1, agentRunName: 'coder:fix-noisy', reason: 'invalid: diff too large: 7 changed lines > maxDiffLines 5' },
    ])
    // Without the caller's limits the same candidates pass.
    const open = setup({ fanoutHarnesses: ['fix-in-infra', 'fix-noisy'], winnerSelection: 'first-approved' })
    expect((await open.delegate(args({ variants: 2 }), open.ctx)).harness).toBe('fix-in-infra')
  }, 60_000)

  it('runs a single-shot coderProfile for variants 1, with the hint appended to the goal under "## Context"', async () => {
    const { delegate, ctx, prompts } = setup({ fanoutHarnesses: ['fix-small', 'fix-noisy'] })
    const out = await delegate(args({ contextHint: 'sum() subtracts instead of adding.' }), ctx)
    expect([out.winnerIndex, out.harness, out.candidates]).toEqual([0, 'fix-small', 1])
    expect(prompts['fix-noisy']).toBeUndefined()
    expect(prompts['fix-small']?.[0]?.startsWith('Make node test.mjs pass\n\n## Context\nsum() subtracts instead of adding.\n\n## Rules')).toBe(true)
  })

  it('uses the harness option for a single shot when given', async () => {
    const { delegate, ctx, prompts } = setup({ fanoutHarnesses: ['fix-small'], harness: 'fix-noisy' })
    const out = await delegate(args(), ctx)
    expect([out.harness, out.candidates]).toEqual(['fix-noisy', 1])
    expect(Object.keys(prompts)).toEqual(['fix-noisy'])
  })

  it('an abort during review rejects with an AbortError and leaves no sandbox behind', async () => {
    let env: ReturnType<typeof setup> | undefined
    const reviewer: CoderReviewer = () => {
      env?.controller.abort(new Error('cancelled while reviewing'))
      return { approved: true, recommendation: 'ship', readiness: 1 }
    }
    env = setup({ fanoutHarnesses: ['fix-small', 'fix-noisy'], reviewer })
    const err = await env.delegate(args({ variants: 2 }), env.ctx).catch((e: unknown) => e)
    expect(isAbortError(err)).toBe(true)
    expect(boxesLeft(env.root)).toEqual([])
  })

  it('slices the harnesses to variants', async () => {
    const { delegate, ctx, prompts } = setup({ fanoutHarnesses: ['fix-noisy', 'fix-small', 'leak-secret'] })
    const out = await delegate(args({ variants: 2 }), ctx)
    expect(out.candidates).toBe(2)
    expect(Object.keys(prompts).sort()).toEqual(['fix-noisy', 'fix-small'])
  })

  it('sends every loop event to the trace emitter, with the delegate winner in loop.ended', async () => {
    const events: LoopTraceEvent[] = []
    const { delegate, ctx } = setup({
      fanoutHarnesses: ['fix-noisy', 'fix-small'],
      winnerSelection: 'first-approved',
      traceEmitter: { emit: (e) => void events.push(e) },
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
    })
    const out = await delegate(args({ variants: 2 }), ctx)
    const kinds = events.map((e) => e.kind)
    expect(kinds[0]).toBe('loop.started')
    expect(events[0]?.payload).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331' })
    expect(kinds.filter((k) => k === 'loop.iteration.dispatch')).toHaveLength(2)
    expect(kinds.filter((k) => k === 'loop.iteration.ended')).toHaveLength(2)
    const ended = events.find((e) => e.kind === 'loop.ended')
    // first-approved picks #0, although the fan-out's own vote (best score) would pick #1.
    expect(out.winnerIndex).toBe(0)
    expect(ended?.payload).toMatchObject({ winnerIterationIndex: 0 })
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set([out.runId]))
  })

  it('an abort stops the loop and deletes every sandbox', async () => {
    let started = 0
    let abort: () => void = () => undefined
    const env = setup({ fanoutHarnesses: ['blocker', 'blocker', 'blocker'] }, () => {
      if (++started === 3) abort()
    })
    abort = () => env.controller.abort(new Error('cancelled by test'))
    const err = await env.delegate(args({ variants: 3 }), env.ctx).catch((e: unknown) => e)
    expect(isAbortError(err)).toBe(true)
    expect(started).toBe(3)
    expect(boxesLeft(env.root)).toEqual([])
    expect(worktreeCount(repoRoot)).toBe(1)
  }, 60_000)

  it('validates its options and arguments', () => {
    const client = createLocalSandboxClient({ root: path.join(tmp, 'unused'), harnesses: coderHarnesses() })
    expect(() => createDefaultCoderDelegate({} as never)).toThrow(/`executor` or `sandboxClient` is required/)
    expect(() => createDefaultCoderDelegate({ sandboxClient: client, executor: client })).toThrow(/exactly one of `executor` and `sandboxClient`/)
    expect(() => createDefaultCoderDelegate({ sandboxClient: client, winnerSelection: 'best' as never })).toThrow(ValidationError)
    expect(() => createDefaultCoderDelegate({ sandboxClient: client, maxConcurrency: 0 })).toThrow(/maxConcurrency must be an integer >= 1, got 0/)
    const delegate = createDefaultCoderDelegate({ sandboxClient: client })
    return expect(delegate(args({ variants: 1.5 }), { signal: new AbortController().signal, report: () => undefined })).rejects.toThrow(/variants must be an integer >= 1, got 1.5/)
  })
})
