import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalCoderDelegate, createMcpServer, type DelegationProgress } from '@tangle-network/agent-runtime-mcp'
import { scriptedHarness } from '@tangle-network/agent-runtime-sandbox-local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectInMemory, structured } from './helpers.js'
import { createSampleRepo, scriptedAgents } from './sample-repo.js'

let tmp: string
let repoRoot: string
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'i11a-local-coder-'))
  repoRoot = await createSampleRepo(join(tmp, 'repo'))
})
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true })
})

const ctx = () => {
  const reports: DelegationProgress[] = []
  const costs: number[] = []
  return { reports, costs, ctx: { signal: new AbortController().signal, report: (p: DelegationProgress) => reports.push(p), addCost: (c: number) => costs.push(c) } }
}

describe('createLocalCoderDelegate over sandbox-local git worktrees', () => {
  it('fans out over the harnesses and returns the valid winner: the secret leak and the no-op lose', async () => {
    const coder = createLocalCoderDelegate({ harnesses: scriptedAgents, fanoutHarnesses: ['leak-secret', 'do-nothing', 'fix-bug'], sandboxRoot: join(tmp, 'boxes1') })
    const c = ctx()
    const out = await coder({ goal: 'make test.mjs pass', repoRoot, variants: 3, config: { testCmd: 'node test.mjs' } }, c.ctx)
    expect(out).toMatchObject({ winnerIndex: 2, harness: 'fix-bug', candidates: 3 })
    expect(out.output.patch).toContain('+  return items.reduce((sum, item) => sum + item.price * item.quantity, 0)')
    expect(out.output.testResult.passed).toBe(true)
    expect(c.reports.filter((r) => r.phase === 'starting')).toHaveLength(3)
    expect(c.reports.filter((r) => r.phase === 'completed')).toHaveLength(3)
    expect(c.costs.reduce((a, b) => a + b, 0)).toBeCloseTo(0.01)
  })

  it('keeps the caller’s forbiddenPaths in fan-out: a fix that touches README.md is refused', async () => {
    const coder = createLocalCoderDelegate({ harnesses: scriptedAgents, fanoutHarnesses: ['fix-and-readme', 'do-nothing'], sandboxRoot: join(tmp, 'boxes2') })
    await expect(
      coder({ goal: 'make test.mjs pass', repoRoot, variants: 2, config: { testCmd: 'node test.mjs', forbiddenPaths: ['README.md'] } }, ctx().ctx),
    ).rejects.toThrow('coder delegate: no candidate passed validation')
    const allowed = await coder({ goal: 'make test.mjs pass', repoRoot, variants: 2, config: { testCmd: 'node test.mjs' } }, ctx().ctx)
    expect(allowed.harness).toBe('fix-and-readme')
  })

  it('is the default coder delegate underneath: winner strategies and the reviewer gate apply', async () => {
    // Both candidates fix the bug; fix-and-readme also edits README.md, so its diff is larger.
    const fanoutHarnesses = ['fix-and-readme', 'fix-bug']
    const args = { goal: 'make test.mjs pass', repoRoot, variants: 2, config: { testCmd: 'node test.mjs' } }
    const smallest = createLocalCoderDelegate({ harnesses: scriptedAgents, fanoutHarnesses, winnerSelection: 'smallest-diff', sandboxRoot: join(tmp, 'boxes5') })
    expect((await smallest(args, ctx().ctx)).harness).toBe('fix-bug')
    const rejectAll = createLocalCoderDelegate({
      harnesses: scriptedAgents,
      fanoutHarnesses,
      reviewer: () => ({ approved: false, recommendation: 'reject', readiness: 0 }),
      sandboxRoot: join(tmp, 'boxes6'),
    })
    await expect(rejectAll(args, ctx().ctx)).rejects.toThrow('coder delegate: no candidate passed validation + review')
  })

  it('one variant is a single-shot run on the first harness', async () => {
    const coder = createLocalCoderDelegate({ harnesses: scriptedAgents, fanoutHarnesses: ['fix-bug', 'leak-secret'], sandboxRoot: join(tmp, 'boxes3') })
    const out = await coder({ goal: 'make test.mjs pass', repoRoot, config: { testCmd: 'node test.mjs' } }, ctx().ctx)
    expect(out).toMatchObject({ winnerIndex: 0, candidates: 1 })
    expect(out.harness).toBe('fix-bug') // the first harness runs the single shot
    expect(out.output.diffStats).toEqual({ filesChanged: 1, insertions: 1, deletions: 1 })
  })

  it('a real coder delegation through MCP over sandbox-local worktrees ends with the winner’s patch', async () => {
    const server = createMcpServer({
      coderDelegate: createLocalCoderDelegate({ harnesses: scriptedAgents, fanoutHarnesses: ['do-nothing', 'fix-bug'], sandboxRoot: join(tmp, 'boxes4') }),
    })
    try {
      const client = await connectInMemory(server)
      const { taskId } = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'make test.mjs pass', repoRoot, variants: 2, config: { testCmd: 'node test.mjs' } } }))
      let status = structured(await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }))
      while (status.status === 'pending' || status.status === 'running') {
        status = structured(await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }))
      }
      expect(status.status).toBe('completed')
      expect(status.result.output).toMatchObject({ harness: 'fix-bug', winnerIndex: 1, candidates: 2 })
      expect(status.result.output.output.patch).toContain('item.price * item.quantity')
      expect(status.costUsd).toBeCloseTo(0.01)
    } finally {
      await server.stop()
    }
  })

  it('delegation_cancel aborts the running loop and removes its worktree', async () => {
    let started: () => void = () => {}
    const running = new Promise<void>((r) => {
      started = r
    })
    const hang = scriptedHarness(
      ({ signal }) =>
        new Promise<string>((_resolve, reject) => {
          started()
          signal.addEventListener('abort', () => reject(signal.reason ?? new Error('aborted')), { once: true })
        }),
      { name: 'hang' },
    )
    const boxes = join(tmp, 'boxes5')
    const server = createMcpServer({ coderDelegate: createLocalCoderDelegate({ harnesses: { hang }, fanoutHarnesses: ['hang'], sandboxRoot: boxes }) })
    try {
      const client = await connectInMemory(server)
      const { taskId } = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'never finishes', repoRoot } }))
      await running
      expect((await readdir(boxes)).length).toBe(1)
      expect(structured(await client.callTool({ name: 'delegation_cancel', arguments: { taskId } }))).toMatchObject({ status: 'cancelled', cancelled: true })
      // The loop unwinds on the abort: its box is deleted and the delegation ends idle.
      while (server.stats().running > 0) await new Promise((r) => setTimeout(r, 20))
      expect(await readdir(boxes)).toEqual([])
      expect(structured(await client.callTool({ name: 'delegation_status', arguments: { taskId } })).status).toBe('cancelled')
    } finally {
      await server.stop()
    }
  })
})
