import { createMcpServer, type DelegationMcpServer, InMemoryDelegationStore } from '@tangle-network/agent-runtime-mcp'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, describe, expect, it } from 'vitest'
import { coderOutput, connectInMemory, controllableDelegate, structured } from './helpers.js'

const servers: DelegationMcpServer[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop()
})
function serverWith(opts: Parameters<typeof createMcpServer>[0]) {
  const s = createMcpServer(opts)
  servers.push(s)
  return s
}

async function rpcError(p: Promise<unknown>): Promise<McpError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(McpError)
  return err as McpError
}

describe('createMcpServer through the official SDK client', () => {
  it('lists the always-on tools plus the delegate tools it was given, with schemas and annotations', async () => {
    const ctl = controllableDelegate()
    const client = await connectInMemory(serverWith({ coderDelegate: ctl.delegate }))
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual(['delegate_code', 'delegate_feedback', 'delegation_status', 'delegation_history', 'delegation_cancel'])
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]))
    expect(byName.delegation_status!.annotations).toMatchObject({ readOnlyHint: true })
    expect(byName.delegation_history!.annotations).toMatchObject({ readOnlyHint: true })
    expect(byName.delegate_code!.annotations).toMatchObject({ idempotentHint: true })
    for (const t of tools) {
      expect(t.inputSchema.additionalProperties).toBe(false)
      expect(t.outputSchema?.type).toBe('object')
    }
    expect(byName.delegate_code!.inputSchema.required).toEqual(['goal', 'repoRoot'])
    expect((byName.delegate_code!.inputSchema.properties as any).variants).toMatchObject({ minimum: 1, maximum: 8 })
    const both = createMcpServer({ coderDelegate: ctl.delegate, researcherDelegate: async () => ({}) })
    servers.push(both)
    expect(both.tools.map((t) => t.name)).toContain('delegate_research')
    expect(createMcpServer().tools.map((t) => t.name)).toEqual(['delegate_feedback', 'delegation_status', 'delegation_history', 'delegation_cancel'])
  })

  it('fire and poll: a dlg- taskId at once, then running with progress and cost, then completed with the result', async () => {
    const ctl = controllableDelegate()
    const client = await connectInMemory(serverWith({ coderDelegate: ctl.delegate }))
    const submitted = await client.callTool({ name: 'delegate_code', arguments: { goal: 'fix it', repoRoot: '/repo' } })
    const { taskId, estimatedDurationMs } = structured(submitted)
    expect(taskId).toMatch(/^dlg-[0-9a-z]+-[0-9a-z]{8}$/)
    expect(estimatedDurationMs).toBe(6 * 60_000)
    const call = await ctl.next()
    expect(call.args).toEqual({ goal: 'fix it', repoRoot: '/repo', variants: 1 })
    call.ctx.report({ iteration: 0, phase: 'starting' })
    call.ctx.addCost?.(0.125)
    let running = structured(await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 0 } }))
    expect(running).toMatchObject({ taskId, profile: 'coder', status: 'running', attempts: 1 })
    // Progress and cost are persisted in the background; they show up on a later read.
    while (running.costUsd === undefined) running = structured(await client.callTool({ name: 'delegation_status', arguments: { taskId } }))
    expect(running).toMatchObject({ progress: { iteration: 0, phase: 'starting' }, costUsd: 0.125 })
    call.resolve(coderOutput('the patch'))
    const done = await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } })
    expect(done.isError).toBeFalsy()
    expect(structured(done)).toMatchObject({ status: 'completed', costUsd: 0.125, result: { profile: 'coder', output: { output: { patch: 'the patch' } } } })
    expect(JSON.parse((done.content as { text: string }[])[0]!.text)).toEqual(structured(done))
    expect(structured(done).completedAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    const fanout = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'fix it', repoRoot: '/repo', variants: 3 } }))
    expect(fanout.estimatedDurationMs).toBe(8 * 60_000)
  })

  it('delegation_status waitMs returns on the state change and sends progress notifications to a caller with a token', async () => {
    const ctl = controllableDelegate()
    const client = await connectInMemory(serverWith({ coderDelegate: ctl.delegate }))
    const { taskId } = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'g', repoRoot: '/r' } }))
    const call = await ctl.next()
    const progress: { progress: number; message?: string }[] = []
    let sawProgress: () => void = () => {}
    const firstProgress = new Promise<void>((r) => {
      sawProgress = r
    })
    // 50 s of wait cannot fit in the 30 s test timeout: passing proves the call returned on the change.
    const waiting = client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }, undefined, {
      onprogress: (p) => {
        progress.push(p)
        sawProgress()
      },
    })
    // Reports until the waiting call has registered and relays one.
    while (progress.length === 0) {
      call.ctx.report({ iteration: 2, phase: 'validating' })
      await Promise.race([firstProgress, new Promise((r) => setImmediate(r))])
    }
    call.resolve(coderOutput())
    const result = await waiting
    expect(structured(result).status).toBe('completed')
    expect(progress[0]).toMatchObject({ progress: 1, message: 'validating (iteration 2)' })
  })

  it('identical inputs give the same taskId (key order and an omitted variants do not matter; array order and config do)', async () => {
    const ctl = controllableDelegate()
    const client = await connectInMemory(serverWith({ coderDelegate: ctl.delegate, researcherDelegate: async () => ({ items: [] }) }))
    const id = async (name: string, args: Record<string, unknown>) => structured(await client.callTool({ name, arguments: args })).taskId as string
    const a = await id('delegate_code', { goal: 'g', repoRoot: '/r', config: { testCmd: 't', forbiddenPaths: ['a', 'b'] } })
    expect(await id('delegate_code', { config: { forbiddenPaths: ['a', 'b'], testCmd: 't' }, repoRoot: '/r', goal: 'g', variants: 1 })).toBe(a)
    expect(await id('delegate_code', { goal: 'g', repoRoot: '/r', config: { testCmd: 't', forbiddenPaths: ['b', 'a'] } })).not.toBe(a)
    expect(await id('delegate_code', { goal: 'g', repoRoot: '/r', config: { testCmd: 'u', forbiddenPaths: ['a', 'b'] } })).not.toBe(a)
    const r1 = await id('delegate_research', { question: 'q', namespace: 'n', sources: ['web', 'docs'] })
    expect(await id('delegate_research', { namespace: 'n', question: 'q', sources: ['web', 'docs'] })).toBe(r1)
    expect(await id('delegate_research', { question: 'q', namespace: 'n', sources: ['docs', 'web'] })).not.toBe(r1)
    expect(ctl.calls.length).toBeLessThanOrEqual(4)
  })

  it('bad arguments are −32602 naming the field; an unknown tool is −32601; an unknown taskId is a tool error naming it', async () => {
    const client = await connectInMemory(serverWith({ coderDelegate: controllableDelegate().delegate }))
    const unknownField = await rpcError(client.callTool({ name: 'delegate_code', arguments: { goal: 'g', repoRoot: '/r', bogus: 1 } }))
    expect(unknownField.code).toBe(-32602)
    expect(unknownField.message).toContain('"bogus"')
    const tooMany = await rpcError(client.callTool({ name: 'delegate_code', arguments: { goal: 'g', repoRoot: '/r', variants: 9 } }))
    expect(tooMany.code).toBe(-32602)
    expect(tooMany.message).toContain('"variants"')
    const nested = await rpcError(client.callTool({ name: 'delegate_code', arguments: { goal: 'g', repoRoot: '/r', config: { maxDiffLines: 0 } } }))
    expect(nested.message).toContain('"config.maxDiffLines"')
    const missing = await rpcError(client.callTool({ name: 'delegate_code', arguments: { goal: 'g' } }))
    expect(missing.message).toContain('"repoRoot"')
    const wait = await rpcError(client.callTool({ name: 'delegation_status', arguments: { taskId: 'dlg-x', waitMs: 60_000 } }))
    expect(wait.message).toContain('"waitMs"')
    const noTool = await rpcError(client.callTool({ name: 'delegate_research', arguments: { question: 'q', namespace: 'n' } }))
    expect(noTool.code).toBe(-32601)
    expect(noTool.message).toContain('delegate_research')
    const unknown = await client.callTool({ name: 'delegation_status', arguments: { taskId: 'dlg-nope-12345678' } })
    expect(unknown.isError).toBe(true)
    expect((unknown.content as { text: string }[])[0]!.text).toContain('dlg-nope-12345678')
  })

  it('a delegate that throws gives isError with its message on status, and the server keeps serving', async () => {
    const ctl = controllableDelegate()
    const client = await connectInMemory(serverWith({ coderDelegate: ctl.delegate }))
    const { taskId } = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'g', repoRoot: '/r' } }))
    ;(await ctl.next()).reject(new Error('coder delegate: no candidate passed validation'))
    const failed = await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } })
    expect(failed.isError).toBe(true)
    expect((failed.content as { text: string }[])[0]!.text).toContain('coder delegate: no candidate passed validation')
    expect(structured(failed)).toMatchObject({ status: 'failed', error: { kind: 'delegate', message: 'coder delegate: no candidate passed validation' } })
    const next = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'g2', repoRoot: '/r' } }))
    expect(next.taskId).not.toBe(taskId)
  })

  it('delegation_cancel aborts the running delegate and marks it cancelled; a late result cannot overwrite it', async () => {
    const ctl = controllableDelegate()
    const client = await connectInMemory(serverWith({ coderDelegate: ctl.delegate }))
    const { taskId } = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'g', repoRoot: '/r' } }))
    const call = await ctl.next()
    const cancelled = structured(await client.callTool({ name: 'delegation_cancel', arguments: { taskId } }))
    expect(cancelled).toEqual({ taskId, status: 'cancelled', cancelled: true })
    expect(call.ctx.signal.aborted).toBe(true)
    call.resolve(coderOutput())
    const status = structured(await client.callTool({ name: 'delegation_status', arguments: { taskId } }))
    expect(status).toMatchObject({ status: 'cancelled', error: { kind: 'cancelled' } })
    expect(structured(await client.callTool({ name: 'delegation_cancel', arguments: { taskId } }))).toEqual({ taskId, status: 'cancelled', cancelled: false })
  })

  it('feedback is appended and shown with its delegation in history, newest first, filtered', async () => {
    const ctl = controllableDelegate()
    let t = Date.parse('2026-03-01T00:00:00Z')
    const client = await connectInMemory(serverWith({ coderDelegate: ctl.delegate, now: () => (t += 1000) }))
    const a = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'a', repoRoot: '/r', namespace: 'team-a' } })).taskId
    const b = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'b', repoRoot: '/r', namespace: 'team-b' } })).taskId
    const fb = structured(
      await client.callTool({
        name: 'delegate_feedback',
        arguments: { refersTo: { kind: 'delegation', ref: a }, rating: { score: 0.9, label: 'good', notes: 'clean patch' }, by: 'user' },
      }),
    )
    expect(fb.recorded).toBe(true)
    expect(fb.id).toMatch(/^fbk-/)
    const all = structured(await client.callTool({ name: 'delegation_history', arguments: {} })).delegations
    expect(all.map((d: any) => d.taskId)).toEqual([b, a])
    expect(all[1].feedback).toEqual([
      { id: fb.id, refersTo: { kind: 'delegation', ref: a }, rating: { score: 0.9, label: 'good', notes: 'clean patch' }, by: 'user', capturedAt: expect.any(String) },
    ])
    expect(all[0].feedback).toEqual([])
    const onlyA = structured(await client.callTool({ name: 'delegation_history', arguments: { namespace: 'team-a', limit: 5 } })).delegations
    expect(onlyA.map((d: any) => d.taskId)).toEqual([a])
    const bad = await rpcError(client.callTool({ name: 'delegate_feedback', arguments: { refersTo: { kind: 'delegation', ref: a }, rating: { score: 2, notes: '' }, by: 'user' } }))
    expect(bad.message).toContain('"rating.score"')
  })

  it('runs at most maxConcurrency delegations at once; the rest wait pending', async () => {
    const ctl = controllableDelegate()
    const client = await connectInMemory(serverWith({ coderDelegate: ctl.delegate, maxConcurrency: 1 }))
    const first = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: '1', repoRoot: '/r' } })).taskId
    const second = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: '2', repoRoot: '/r' } })).taskId
    const call1 = await ctl.next()
    expect(structured(await client.callTool({ name: 'delegation_status', arguments: { taskId: second } })).status).toBe('pending')
    call1.resolve(coderOutput())
    expect(structured(await client.callTool({ name: 'delegation_status', arguments: { taskId: first, waitMs: 50_000 } })).status).toBe('completed')
    const call2 = await ctl.next()
    expect(call2.args.goal).toBe('2')
    call2.resolve(coderOutput())
    expect(structured(await client.callTool({ name: 'delegation_status', arguments: { taskId: second, waitMs: 50_000 } })).status).toBe('completed')
  })

  it('purges terminal delegations older than retainDays at startup, and keeps live and recent ones', async () => {
    const day = 86_400_000
    const now = Date.parse('2026-06-01T00:00:00Z')
    const store = new InMemoryDelegationStore()
    const file = async (id: string, completedDaysAgo?: number) => {
      const { record } = await store.submit({ taskId: id, idempotencyKey: id, profile: 'coder', args: { goal: id }, createdAt: now - 40 * day })
      if (completedDaysAgo === undefined) return
      const running = (await store.start(id, record.version, now - 40 * day))!
      await store.finish(id, running.version, { status: 'completed', output: null }, now - completedDaysAgo * day)
    }
    await file('dlg-old', 31)
    await file('dlg-recent', 29)
    await file('dlg-live')
    const client = await connectInMemory(serverWith({ store, now: () => now, retainDays: 30 }))
    const ids = structured(await client.callTool({ name: 'delegation_history', arguments: {} })).delegations.map((d: { taskId: string }) => d.taskId)
    expect(ids.sort()).toEqual(['dlg-live', 'dlg-recent'])
    const gone = await client.callTool({ name: 'delegation_status', arguments: { taskId: 'dlg-old' } })
    expect(gone.isError).toBe(true)
  })

  it('stop() aborts running delegates, leaves them for recovery, and does not wait forever for one that ignores its signal', async () => {
    const store = new InMemoryDelegationStore()
    let seen: AbortSignal | undefined
    const stubborn = createMcpServer({
      store,
      stopGraceMs: 50,
      coderDelegate: (_args, ctx) => {
        seen = ctx.signal
        return new Promise(() => {})
      },
    })
    const client = await connectInMemory(stubborn)
    const { taskId } = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'g', repoRoot: '/r' } }))
    while (!seen) await new Promise((r) => setImmediate(r))
    await stubborn.stop()
    expect(seen.aborted).toBe(true)
    expect((await store.get(taskId))?.status).toBe('running')
    expect(stubborn.stats().running).toBe(1)
    const err = await client.callTool({ name: 'delegation_status', arguments: { taskId } }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
  })
})
