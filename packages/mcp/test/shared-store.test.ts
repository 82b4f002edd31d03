/**
 * Two delegation servers on one SQLite file (two Claude Code sessions in one
 * repo): leases keep one server's startup recovery off the other's live runs.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMcpServer, type DelegationMcpServer, type DelegationStore, openDelegationStore } from '@tangle-network/agent-runtime-mcp'
import { afterEach, describe, expect, it } from 'vitest'
import { coderOutput, connectInMemory, controllableDelegate, structured } from './helpers.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function sqliteFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'f1-shared-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return join(dir, 'delegations.db')
}

async function serverOn(file: string, opts: Parameters<typeof createMcpServer>[0]): Promise<{ server: DelegationMcpServer; store: DelegationStore }> {
  const { store } = await openDelegationStore({ env: { AGENT_RUNTIME_DELEGATION_DB: file } })
  const server = createMcpServer({ ...opts, store })
  // Stop first, then close the store (cleanups run in reverse).
  cleanups.push(() => store.close())
  cleanups.push(() => server.stop())
  return { server, store }
}

describe('two servers on one delegation store', () => {
  it("a second server's startup leaves the first server's running delegation alone, and it completes", async () => {
    const file = await sqliteFile()
    const ctl = controllableDelegate()
    const first = await serverOn(file, { coderDelegate: ctl.delegate })
    const a = await connectInMemory(first.server)
    const { taskId } = structured(await a.callTool({ name: 'delegate_code', arguments: { goal: 'shared', repoRoot: '/r' } }))
    const call = await ctl.next()
    expect((await first.store.get(taskId))?.status).toBe('running')

    const second = await serverOn(file, { coderDelegate: controllableDelegate().delegate })
    const b = await connectInMemory(second.server)
    expect(structured(await b.callTool({ name: 'delegation_status', arguments: { taskId } }))).toMatchObject({ taskId, status: 'running' })
    expect(call.ctx.signal.aborted).toBe(false)

    call.resolve(coderOutput('diff --git a/shared b/shared\n'))
    let st = structured(await a.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 30_000 } }))
    while (st.status === 'running') st = structured(await a.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 30_000 } }))
    expect(st).toMatchObject({ status: 'completed', attempts: 1 })
    expect(structured(await b.callTool({ name: 'delegation_status', arguments: { taskId } }))).toMatchObject({ status: 'completed' })
  })

  it('a server starting with a clock past an unrenewed lease recovers the delegation (interrupted)', async () => {
    const file = await sqliteFile()
    const ctl = controllableDelegate()
    // The first server's clock stands still, so its heartbeats never move the lease past t0 + leaseMs.
    const t0 = 1_800_000_000_000
    const first = await serverOn(file, { coderDelegate: ctl.delegate, now: () => t0, leaseMs: 60_000 })
    const a = await connectInMemory(first.server)
    const { taskId } = structured(await a.callTool({ name: 'delegate_code', arguments: { goal: 'orphan', repoRoot: '/r' } }))
    await ctl.next()
    expect(await first.store.get(taskId)).toMatchObject({ status: 'running', leaseExpiresAt: t0 + 60_000 })

    const before = await serverOn(file, { coderDelegate: controllableDelegate().delegate, now: () => t0 + 59_000 })
    const early = await connectInMemory(before.server)
    expect(structured(await early.callTool({ name: 'delegation_status', arguments: { taskId } })).status).toBe('running')

    const after = await serverOn(file, { coderDelegate: controllableDelegate().delegate, now: () => t0 + 60_001 })
    const late = await connectInMemory(after.server)
    const status = await late.callTool({ name: 'delegation_status', arguments: { taskId } })
    expect(structured(status)).toMatchObject({ taskId, status: 'failed', error: { kind: 'interrupted' }, attempts: 1 })
  })

  it('stop() keeps a result the delegate already returned, and leaves an aborted one for recovery with its lease expired', async () => {
    const file = await sqliteFile()
    const ctl = controllableDelegate()
    let now = 1_800_000_000_000
    const { server, store } = await serverOn(file, { coderDelegate: ctl.delegate, maxConcurrency: 2, now: () => now, leaseMs: 60_000 })
    const client = await connectInMemory(server)
    const done = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'done', repoRoot: '/r' } })).taskId
    const cut = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'cut', repoRoot: '/r' } })).taskId
    const finished = await ctl.next()
    await ctl.next()
    // The output arrives, and the stop begins before the manager has written it.
    finished.resolve(coderOutput('diff --git a/done b/done\n'))
    now += 1
    await server.stop()
    expect(await store.get(done)).toMatchObject({ status: 'completed', output: { winnerIndex: 0 } })
    const left = await store.get(cut)
    expect(left?.status).toBe('running')
    expect(left?.leaseExpiresAt).toBeLessThan(now)
  })
})
