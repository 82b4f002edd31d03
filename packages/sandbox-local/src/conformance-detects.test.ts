import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { SandboxBox, SandboxClient } from '@tangle-network/agent-runtime-core'
import { runSandboxClientConformance } from '@tangle-network/agent-runtime-core/testing'
import { createLocalSandboxClient, scriptedHarness } from '@tangle-network/agent-runtime-sandbox-local'
import { afterAll, describe, expect, it } from 'vitest'

// The conformance suite must fail for broken implementations, not only pass for good ones.
// Each case breaks one behaviour of the local client and runs the suite in-process.

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sbx-detects-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const capabilities = { exec: true, read: true, write: true, gitDiff: true, delete: true, get: true, confinesPaths: true, abort: true }

function base(): SandboxClient {
  return createLocalSandboxClient({ root: path.join(tmp, 'boxes'), harnesses: { s: scriptedHarness(() => 'hi') } })
}

function broken(patch: (box: SandboxBox) => SandboxBox): () => SandboxClient {
  return () => {
    const client = base()
    return { ...client, create: async (o) => patch(await client.create(o)), get: client.get }
  }
}

/** Runs the suite against `createClient` and returns the names of the tests that failed. */
async function failingTests(createClient: () => SandboxClient): Promise<string[]> {
  const tests: { name: string; fn: () => Promise<void> }[] = []
  runSandboxClientConformance(
    { describe: (_n, fn) => fn(), it: (name, fn) => tests.push({ name, fn }), expect },
    { name: 'probe', createClient, capabilities },
  )
  const failed: string[] = []
  for (const test of tests) {
    try {
      await test.fn()
    } catch {
      failed.push(test.name)
    }
  }
  return failed
}

describe('runSandboxClientConformance detects broken clients', () => {
  it('passes the intact local client', async () => {
    expect(await failingTests(base)).toEqual([])
  })

  it('fails duplicate ids', async () => {
    const failed = await failingTests(broken((box) => Object.assign(Object.create(box), { id: 'same' })))
    expect(failed).toContain('concurrently created boxes get distinct ids')
  })

  it('fails malformed events and ignored abort signals', async () => {
    const failed = await failingTests(
      broken((box) =>
        Object.assign(Object.create(box), {
          async *streamPrompt() {
            yield { type: 7, data: 'x' }
          },
        }),
      ),
    )
    expect(failed).toEqual(['streamPrompt yields at least one {type, data} event', 'streamPrompt with an aborted signal throws an AbortError'])
  })

  it('fails a client whose read lets paths escape the box', async () => {
    const failed = await failingTests(
      broken((box) => Object.assign(Object.create(box), { read: async (p: string) => (p.startsWith('..') ? 'root:x:0:0' : box.read!(p)) })),
    )
    expect(failed).toEqual(['paths that escape the box are rejected'])
  })

  it('fails a client that still hands out deleted boxes', async () => {
    const failed = await failingTests(() => {
      const client = base()
      const seen = new Map<string, SandboxBox>()
      return {
        ...client,
        create: async (o) => {
          const box = await client.create(o)
          seen.set(box.id, box)
          return box
        },
        get: async (id: string) => seen.get(id) ?? null,
      }
    })
    expect(failed).toEqual(['get(id) no longer returns a deleted box'])
  })

  it('fails a delete that is not idempotent and a diff that misses new files', async () => {
    const failed = await failingTests(
      broken((box) => {
        let deleted = false
        return Object.assign(Object.create(box), {
          delete: async () => {
            if (deleted) throw new Error('already deleted')
            deleted = true
            await box.delete!()
          },
          git: { diff: async () => ({ raw: '', additions: 0, deletions: 0 }) },
        })
      }),
    )
    expect(failed).toEqual(['git.diff shows a newly written file', 'delete resolves and is idempotent'])
  })
})
