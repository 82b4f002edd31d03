import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { delegationKey, openDelegationStore } from '@tangle-network/agent-runtime-mcp'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { createPool, DATABASE_URL, dropDelegationTables, uniquePrefix } from './pg-helpers.js'

const pool = createPool(1)
afterAll(async () => {
  await pool.end()
})

describe('openDelegationStore (what the bin opens)', () => {
  it('defaults to SQLite at .agent-runtime/delegations.db under the cwd, and a reopen sees the rows', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'i11a-open-'))
    try {
      const first = await openDelegationStore({ env: {}, cwd })
      expect(first.describe).toBe(`sqlite:${join(cwd, '.agent-runtime', 'delegations.db')}`)
      await first.store.submit({ taskId: 'dlg-a', idempotencyKey: 'k', profile: 'coder', args: { goal: 'g' }, createdAt: 1 })
      await first.store.close()
      const second = await openDelegationStore({ env: {}, cwd })
      expect((await second.store.get('dlg-a'))?.args).toEqual({ goal: 'g' })
      await second.store.close()
      const custom = await openDelegationStore({ env: { AGENT_RUNTIME_DELEGATION_DB: 'state/x.db' }, cwd })
      expect(custom.describe).toBe(`sqlite:${join(cwd, 'state', 'x.db')}`)
      await custom.store.close()
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
  })

  it('uses PostgreSQL when DATABASE_URL is set, naming host and database but not the password', async () => {
    const prefix = uniquePrefix('open')
    const url = new URL(DATABASE_URL)
    try {
      const opened = await openDelegationStore({ env: { DATABASE_URL }, tablePrefix: prefix })
      expect(opened.describe).toBe(`postgres:${url.host}${url.pathname}`)
      await opened.store.submit({ taskId: 'dlg-pg', idempotencyKey: 'k', profile: 'researcher', args: { question: 'q' }, createdAt: 5 })
      await opened.store.close()
      const again = await openDelegationStore({ env: { DATABASE_URL }, tablePrefix: prefix })
      expect((await again.store.get('dlg-pg'))?.profile).toBe('researcher')
      await again.store.close()
    } finally {
      await dropDelegationTables(pool, prefix)
    }
  })
})

describe('delegationKey (property)', () => {
  const args = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 })
  it('ignores key order but not array order', () => {
    fc.assert(
      fc.property(args, (a) => {
        const reversed = Object.fromEntries(Object.entries(a).reverse())
        expect(delegationKey('coder', reversed)).toBe(delegationKey('coder', a))
      }),
    )
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 2, maxLength: 5 }), (list) => {
        const flipped = [...list].reverse()
        const same = JSON.stringify(flipped) === JSON.stringify(list)
        expect(delegationKey('researcher', { sources: flipped }) === delegationKey('researcher', { sources: list })).toBe(same)
      }),
    )
    expect(delegationKey('coder', { goal: 'g' })).not.toBe(delegationKey('researcher', { goal: 'g' }))
  })
})
