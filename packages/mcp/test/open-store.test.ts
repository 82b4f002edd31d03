import { readlinkSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
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

  it('a file that is not a SQLite database is refused, and its handle is closed', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'f1-open-bad-'))
    try {
      const file = join(cwd, 'not-a.db')
      await writeFile(file, 'this is a text file, not a database\n'.repeat(200))
      await expect(openDelegationStore({ env: { AGENT_RUNTIME_DELEGATION_DB: file }, cwd })).rejects.toThrow(/not a database/)
      // Linux lists this process's open files under /proc/self/fd.
      const open = (await readdir('/proc/self/fd')).map((fd) => {
        try {
          return readlinkSync(join('/proc/self/fd', fd))
        } catch {
          return ''
        }
      })
      expect(open.filter((target) => target.startsWith(file))).toEqual([])
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
