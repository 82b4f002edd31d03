/** One behaviour spec every DelegationStore must meet; run against memory, SQLite and PostgreSQL. */
import type { DelegationStore, NewDelegation } from '@tangle-network/agent-runtime-mcp'
import { afterEach, describe, expect, it } from 'vitest'

/** A fresh store, a way to reopen it on the same data (absent for memory), and cleanup. */
export interface StoreHarness {
  store: DelegationStore
  reopen?: () => Promise<DelegationStore>
  cleanup: () => Promise<void>
}

const entry = (n: number, over: Partial<NewDelegation> = {}): NewDelegation => ({
  taskId: `dlg-t${n}`,
  idempotencyKey: `key-${n}`,
  profile: 'coder',
  args: { goal: `goal ${n}`, repoRoot: '/repo', variants: 1, config: { forbiddenPaths: ['b', 'a'] } },
  createdAt: 1_000 + n,
  ...over,
})

export function describeDelegationStoreConformance(name: string, open: () => Promise<StoreHarness>, opts: { durable: boolean }): void {
  describe(`DelegationStore conformance: ${name}`, () => {
    let h: StoreHarness
    afterEach(async () => {
      await h?.cleanup()
    })
    const setup = async () => {
      h = await open()
      await h.store.migrate()
      await h.store.migrate() // idempotent
      return h.store
    }

    it('files a delegation once per idempotency key and keeps its arguments exactly', async () => {
      const store = await setup()
      const first = await store.submit(entry(1, { namespace: 'ns' }))
      expect(first.created).toBe(true)
      expect(first.record).toMatchObject({ taskId: 'dlg-t1', status: 'pending', attempts: 0, version: 0, namespace: 'ns', createdAt: 1001 })
      const again = await store.submit(entry(1, { taskId: 'dlg-other' }))
      expect(again.created).toBe(false)
      expect(again.record.taskId).toBe('dlg-t1')
      expect((await store.get('dlg-t1'))?.args).toEqual(entry(1).args)
      expect(await store.get('dlg-missing')).toBeUndefined()
    })

    it('runs the life cycle with fenced transitions: a stale version never wins', async () => {
      const store = await setup()
      const { record } = await store.submit(entry(2))
      expect(await store.start('dlg-t2', record.version + 1, 2000)).toBeUndefined()
      const running = await store.start('dlg-t2', record.version, 2000)
      expect(running).toMatchObject({ status: 'running', attempts: 1, startedAt: 2000 })
      expect(await store.start('dlg-t2', running!.version, 2001)).toBeUndefined()
      expect(await store.progress('dlg-t2', running!.version, { progress: { iteration: 1, phase: 'starting' }, costUsd: 0.25 }, 2002)).toBe(true)
      expect(await store.progress('dlg-t2', running!.version - 1, { progress: { iteration: 9, phase: 'stale' } }, 2003)).toBe(false)
      expect(await store.get('dlg-t2')).toMatchObject({ progress: { iteration: 1, phase: 'starting' }, costUsd: 0.25 })
      expect(await store.finish('dlg-t2', running!.version + 7, { status: 'completed', output: { x: 1 } }, 2004)).toBe(false)
      expect(await store.finish('dlg-t2', running!.version, { status: 'completed', output: { patch: 'diff', n: [3, 1] }, costUsd: 0.5 }, 2005)).toBe(true)
      const done = await store.get('dlg-t2')
      expect(done).toMatchObject({ status: 'completed', output: { patch: 'diff', n: [3, 1] }, costUsd: 0.5, completedAt: 2005 })
      // Terminal is final: no second finish, no cancel.
      expect(await store.finish('dlg-t2', done!.version, { status: 'failed', error: { message: 'late', kind: 'delegate' } }, 2006)).toBe(false)
      expect((await store.cancel('dlg-t2', 2007))?.status).toBe('completed')
    })

    it('records a failure with its error', async () => {
      const store = await setup()
      const { record } = await store.submit(entry(3))
      const running = (await store.start('dlg-t3', record.version, 10))!
      expect(await store.finish('dlg-t3', running.version, { status: 'failed', error: { message: 'boom', kind: 'delegate' } }, 11)).toBe(true)
      expect(await store.get('dlg-t3')).toMatchObject({ status: 'failed', error: { message: 'boom', kind: 'delegate' } })
    })

    it('cancels from pending or running, and the worker that read the old version cannot overwrite it', async () => {
      const store = await setup()
      await store.submit(entry(4))
      expect(await store.cancel('dlg-t4', 50)).toMatchObject({ status: 'cancelled', error: { kind: 'cancelled' } })
      const { record } = await store.submit(entry(5))
      const running = (await store.start('dlg-t5', record.version, 60))!
      await store.cancel('dlg-t5', 61)
      expect(await store.finish('dlg-t5', running.version, { status: 'completed', output: 1 }, 62)).toBe(false)
      expect(await store.progress('dlg-t5', running.version, { progress: { iteration: 2, phase: 'x' } }, 62)).toBe(false)
      expect((await store.get('dlg-t5'))?.status).toBe('cancelled')
      expect(await store.cancel('dlg-missing', 63)).toBeUndefined()
    })

    it('lists newest first with namespace, profile, since and limit filters', async () => {
      const store = await setup()
      await store.submit(entry(10, { namespace: 'a' }))
      await store.submit(entry(11, { namespace: 'b', profile: 'researcher' }))
      await store.submit(entry(12, { namespace: 'a' }))
      expect((await store.list({ limit: 50 })).map((r) => r.taskId)).toEqual(['dlg-t12', 'dlg-t11', 'dlg-t10'])
      expect((await store.list({ namespace: 'a', limit: 50 })).map((r) => r.taskId)).toEqual(['dlg-t12', 'dlg-t10'])
      expect((await store.list({ profile: 'researcher', limit: 50 })).map((r) => r.taskId)).toEqual(['dlg-t11'])
      expect((await store.list({ since: 1011, limit: 50 })).map((r) => r.taskId)).toEqual(['dlg-t12', 'dlg-t11'])
      expect((await store.list({ limit: 1 })).map((r) => r.taskId)).toEqual(['dlg-t12'])
    })

    it('recovery: running → failed (interrupted) by default; pending stays runnable', async () => {
      const store = await setup()
      const a = await store.submit(entry(20))
      await store.start('dlg-t20', a.record.version, 5)
      await store.submit(entry(21))
      const rec = await store.recover('fail', 100)
      expect(rec.interrupted.map((r) => r.taskId)).toEqual(['dlg-t20'])
      expect(rec.interrupted[0]).toMatchObject({ status: 'failed', error: { kind: 'interrupted' }, completedAt: 100 })
      expect(rec.runnable.map((r) => r.taskId)).toEqual(['dlg-t21'])
    })

    it('recovery with rerun re-queues a cut-off delegation once, then fails it', async () => {
      const store = await setup()
      const a = await store.submit(entry(30))
      await store.start('dlg-t30', a.record.version, 5)
      const first = await store.recover('rerun', 100)
      expect(first.interrupted).toEqual([])
      expect(first.runnable.map((r) => [r.taskId, r.status])).toEqual([['dlg-t30', 'pending']])
      const again = await store.start('dlg-t30', first.runnable[0]!.version, 101)
      expect(again?.attempts).toBe(2)
      const second = await store.recover('rerun', 200)
      expect(second.runnable).toEqual([])
      expect(second.interrupted.map((r) => [r.taskId, r.status, r.error?.kind])).toEqual([['dlg-t30', 'failed', 'interrupted']])
    })

    it('purges terminal records older than the cut-off, keeps live ones and feedback', async () => {
      const store = await setup()
      const a = await store.submit(entry(40))
      const r = (await store.start('dlg-t40', a.record.version, 10))!
      await store.finish('dlg-t40', r.version, { status: 'completed', output: null }, 20)
      await store.submit(entry(41))
      await store.appendFeedback({ id: 'fbk-1', refersTo: { kind: 'delegation', ref: 'dlg-t40' }, rating: { score: 1, notes: 'ok' }, by: 'user', capturedAt: '2026-01-01T00:00:00.000Z', recordedAt: 30 })
      expect(await store.purgeTerminal(20)).toBe(0)
      expect(await store.purgeTerminal(21)).toBe(1)
      expect(await store.get('dlg-t40')).toBeUndefined()
      expect((await store.get('dlg-t41'))?.status).toBe('pending')
      expect(await store.feedbackForDelegations(['dlg-t40'])).toHaveLength(1)
      // The key is free again: identical inputs after expiry file a new delegation.
      expect((await store.submit(entry(40, { taskId: 'dlg-t40b' }))).created).toBe(true)
    })

    it('appends feedback and returns it per delegation, oldest first', async () => {
      const store = await setup()
      const fb = (id: string, ref: string, at: number, kind: 'delegation' | 'artifact' = 'delegation') => ({
        id,
        refersTo: { kind, ref },
        rating: { score: 0.5, label: 'mixed' as const, notes: `note ${id}` },
        by: 'agent' as const,
        namespace: 'ns',
        capturedAt: '2026-01-01T00:00:00.000Z',
        recordedAt: at,
      })
      await store.appendFeedback(fb('fbk-a', 'dlg-x', 1))
      await store.appendFeedback(fb('fbk-b', 'dlg-y', 2))
      await store.appendFeedback(fb('fbk-c', 'dlg-x', 3))
      await store.appendFeedback(fb('fbk-d', 'dlg-x', 4, 'artifact'))
      expect((await store.feedbackForDelegations(['dlg-x'])).map((f) => f.id)).toEqual(['fbk-a', 'fbk-c'])
      expect(await store.feedbackForDelegations(['dlg-x', 'dlg-y'])).toHaveLength(3)
      expect(await store.feedbackForDelegations([])).toEqual([])
      expect((await store.feedbackForDelegations(['dlg-y']))[0]).toEqual(fb('fbk-b', 'dlg-y', 2))
    })

    // Scale-out lease (issue 15): heartbeat, sweeper and the fence a stale worker meets.
    it('lease: a leased start carries owner and expiry; heartbeats extend it only for the current version', async () => {
      const store = await setup()
      const { record } = await store.submit(entry(60))
      const running = (await store.start('dlg-t60', record.version, 100, { owner: 'host-a:1', expiresAt: 130 }))!
      expect(running).toMatchObject({ status: 'running', leaseOwner: 'host-a:1', leaseExpiresAt: 130 })
      expect(await store.heartbeat('dlg-t60', running.version, 160, 135)).toBe(true)
      expect((await store.get('dlg-t60'))?.leaseExpiresAt).toBe(160)
      expect(await store.heartbeat('dlg-t60', running.version - 1, 999, 136)).toBe(false)
      expect((await store.get('dlg-t60'))?.leaseExpiresAt).toBe(160)
      // An unleased (single-process) start has nothing to heartbeat.
      const b = await store.submit(entry(61))
      const plain = (await store.start('dlg-t61', b.record.version, 100))!
      expect(plain.leaseExpiresAt).toBeUndefined()
      expect(await store.heartbeat('dlg-t61', plain.version, 200, 101)).toBe(false)
    })

    it('lease: the sweeper re-queues only expired leases, and the stale worker then writes nothing', async () => {
      const store = await setup()
      const a = await store.submit(entry(62))
      const stale = (await store.start('dlg-t62', a.record.version, 100, { owner: 'dead:1', expiresAt: 130 }))!
      const b = await store.submit(entry(63))
      await store.start('dlg-t63', b.record.version, 100, { owner: 'alive:2', expiresAt: 500 })
      const c = await store.submit(entry(64))
      await store.start('dlg-t64', c.record.version, 100) // unleased: not the sweeper's
      expect(await store.reclaimExpired(130, 3)).toEqual({ requeued: [], failed: [] }) // expiry is exclusive
      const swept = await store.reclaimExpired(131, 3)
      expect(swept.failed).toEqual([])
      expect(swept.requeued.map((r) => [r.taskId, r.status, r.leaseOwner, r.leaseExpiresAt])).toEqual([['dlg-t62', 'pending', undefined, undefined]])
      expect(swept.requeued[0]!.version).toBeGreaterThan(stale.version)
      expect((await store.get('dlg-t63'))?.status).toBe('running')
      expect((await store.get('dlg-t64'))?.status).toBe('running')
      // The old worker wakes up: its heartbeat, progress and result are all refused.
      expect(await store.heartbeat('dlg-t62', stale.version, 999, 140)).toBe(false)
      expect(await store.progress('dlg-t62', stale.version, { progress: { iteration: 9, phase: 'late' } }, 140)).toBe(false)
      expect(await store.finish('dlg-t62', stale.version, { status: 'completed', output: 'late' }, 140)).toBe(false)
      // Another worker takes it and is the only one whose result lands.
      const fresh = (await store.start('dlg-t62', swept.requeued[0]!.version, 150, { owner: 'host-b:3', expiresAt: 180 }))!
      expect(fresh.attempts).toBe(2)
      // Running again under the new fence: the stale worker's heartbeat, progress and result still change nothing.
      expect(await store.heartbeat('dlg-t62', stale.version, 999, 151)).toBe(false)
      expect(await store.progress('dlg-t62', stale.version, { progress: { iteration: 9, phase: 'late' } }, 151)).toBe(false)
      expect(await store.finish('dlg-t62', stale.version, { status: 'completed', output: 'late' }, 151)).toBe(false)
      expect(await store.get('dlg-t62')).toMatchObject({ status: 'running', leaseOwner: 'host-b:3', leaseExpiresAt: 180 })
      expect(await store.finish('dlg-t62', fresh.version, { status: 'completed', output: 'ok' }, 160)).toBe(true)
      expect(await store.get('dlg-t62')).toMatchObject({ status: 'completed', output: 'ok', attempts: 2 })
      expect((await store.get('dlg-t62'))?.leaseOwner).toBeUndefined()
    })

    it('lease: after maxAttempts starts the sweeper fails the delegation (interrupted); startup recovery leaves leased rows alone', async () => {
      const store = await setup()
      const a = await store.submit(entry(65))
      const first = (await store.start('dlg-t65', a.record.version, 10, { owner: 'w:1', expiresAt: 20 }))!
      const rec = await store.recover('fail', 15)
      expect(rec.interrupted).toEqual([])
      expect((await store.get('dlg-t65'))?.status).toBe('running')
      const once = await store.reclaimExpired(21, 2)
      expect(once.requeued.map((r) => r.taskId)).toEqual(['dlg-t65'])
      expect(once.requeued[0]!.version).toBeGreaterThan(first.version)
      await store.start('dlg-t65', once.requeued[0]!.version, 30, { owner: 'w:2', expiresAt: 40 })
      const twice = await store.reclaimExpired(41, 2)
      expect(twice.requeued).toEqual([])
      expect(twice.failed.map((r) => [r.taskId, r.status, r.error?.kind, r.completedAt])).toEqual([['dlg-t65', 'failed', 'interrupted', 41]])
    })

    it('startup recovery takes a running row once its lease ran out, in fail and rerun mode, and clears the lease', async () => {
      const store = await setup()
      const a = await store.submit(entry(66))
      await store.start('dlg-t66', a.record.version, 10, { owner: 'local:dead', expiresAt: 20 })
      const b = await store.submit(entry(67))
      await store.start('dlg-t67', b.record.version, 10, { owner: 'local:alive', expiresAt: 50 })
      const rec = await store.recover('fail', 21)
      expect(rec.interrupted.map((r) => [r.taskId, r.status, r.error?.kind, r.leaseOwner, r.leaseExpiresAt])).toEqual([['dlg-t66', 'failed', 'interrupted', undefined, undefined]])
      expect((await store.get('dlg-t67'))?.status).toBe('running')
      const rerun = await store.recover('rerun', 51)
      expect(rerun.interrupted).toEqual([])
      expect(rerun.runnable.map((r) => [r.taskId, r.status, r.leaseOwner])).toEqual([['dlg-t67', 'pending', undefined]])
    })

    // Only durable stores have a second connection to the same data.
    if (!opts.durable) return
    it('a reopened store sees every delegation, result and feedback', async () => {
      const store = await setup()
      const a = await store.submit(entry(50))
      const r = (await store.start('dlg-t50', a.record.version, 10))!
      await store.finish('dlg-t50', r.version, { status: 'completed', output: { patch: 'p' } }, 20)
      await store.appendFeedback({ id: 'fbk-z', refersTo: { kind: 'delegation', ref: 'dlg-t50' }, rating: { score: 0, notes: '' }, by: 'downstream-judge', capturedAt: '2026-01-01T00:00:00.000Z', recordedAt: 30 })
      const again = await h.reopen!()
      expect(await again.get('dlg-t50')).toEqual(await store.get('dlg-t50'))
      expect((await again.feedbackForDelegations(['dlg-t50'])).map((f) => f.id)).toEqual(['fbk-z'])
      expect((await again.submit(entry(50, { taskId: 'dlg-new' }))).record.taskId).toBe('dlg-t50')
    })
  })
}
