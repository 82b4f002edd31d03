import type { SandboxBox, SandboxClient, SandboxCreateOptions, SandboxEvent } from '../contracts/sandbox.js'

/**
 * A shared behaviour suite for {@link SandboxClient} implementations. It takes
 * the test framework's `describe`/`it`/`expect` as parameters so core does
 * not depend on one, and uses only the SandboxClient API.
 */

/** The subset of a test framework's assertion object the suite uses (vitest's and jest's fit). @experimental */
export interface ConformanceAssertion {
  toBe(expected: unknown): void
  toEqual(expected: unknown): void
  toBeGreaterThan(expected: number): void
  toContain(expected: unknown): void
  toBeInstanceOf(expected: any): void
}

/** The test framework functions the suite registers its tests with. @experimental */
export interface ConformanceTestApi {
  describe(name: string, fn: () => void): unknown
  it(name: string, fn: () => Promise<void>, timeout?: number): unknown
  expect(actual: unknown): ConformanceAssertion
}

/** Optional parts of the contract an implementation declares it supports; each adds tests. @experimental */
export interface SandboxConformanceCapabilities {
  exec?: boolean
  read?: boolean
  write?: boolean
  gitDiff?: boolean
  delete?: boolean
  /** `client.get(id)` returns a created box. */
  get?: boolean
  /** `read`/`write` reject paths that leave the box (`..`). Remote containers may legitimately allow them. */
  confinesPaths?: boolean
  /** `streamPrompt` honours `options.signal` and throws an `AbortError` when it is already aborted. */
  abort?: boolean
}

/** Options of {@link runSandboxClientConformance}. @experimental */
export interface SandboxConformanceOptions {
  /** Shown in the suite name. */
  name: string
  /** Makes a fresh client for each test. */
  createClient(): SandboxClient | Promise<SandboxClient>
  capabilities?: SandboxConformanceCapabilities
  /** Options passed to every `create` (a function is called per box). */
  createOptions?: SandboxCreateOptions | (() => SandboxCreateOptions | Promise<SandboxCreateOptions>)
  /** Prompt sent by the streaming tests. Default `conformance: reply with any text`. */
  prompt?: string
  /** Per-test timeout in ms. Default 30000. */
  timeoutMs?: number
}

const NO_REJECTION = Symbol('no rejection')

async function rejectionOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run()
  } catch (err) {
    return err
  }
  return NO_REJECTION
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Registers a suite of behaviour tests any {@link SandboxClient} must pass:
 * boxes get unique ids, `streamPrompt` yields `{type, data}` events, and,
 * per declared capability, exec/read/write round-trips, box isolation, path
 * confinement, `git.diff` of new files and idempotent `delete`.
 * @example
 * import { describe, expect, it } from 'vitest'
 * runSandboxClientConformance({ describe, it, expect }, {
 *   name: 'local',
 *   createClient: () => createLocalSandboxClient({ harnesses: { scripted: scriptedHarness(() => 'hi') } }),
 *   capabilities: { exec: true, read: true, write: true, gitDiff: true, delete: true, get: true, confinesPaths: true, abort: true },
 * })
 * @experimental
 */
export function runSandboxClientConformance(t: ConformanceTestApi, options: SandboxConformanceOptions): void {
  const caps = options.capabilities ?? {}
  const timeout = options.timeoutMs ?? 30_000
  const prompt = options.prompt ?? 'conformance: reply with any text'
  const { expect } = t

  async function createOptions(): Promise<SandboxCreateOptions | undefined> {
    const o = options.createOptions
    return typeof o === 'function' ? await o() : o
  }

  /** Runs `body` with `count` fresh boxes and deletes them afterwards when the box can be deleted. */
  async function withBoxes(count: number, body: (boxes: SandboxBox[], client: SandboxClient) => Promise<void>): Promise<void> {
    const client = await options.createClient()
    const boxes: SandboxBox[] = []
    try {
      const created = await Promise.all(Array.from({ length: count }, async () => client.create(await createOptions())))
      boxes.push(...created)
      await body(boxes, client)
    } finally {
      await Promise.all(boxes.map((b) => (b.delete ? b.delete().catch(() => {}) : undefined)))
    }
  }

  const test = (name: string, body: () => Promise<void>): void => {
    t.it(name, body, timeout)
  }

  t.describe(`SandboxClient conformance: ${options.name}`, () => {
    test('create returns a box with a non-empty string id', () =>
      withBoxes(1, async ([box]) => {
        expect(typeof box.id).toBe('string')
        expect(box.id.length).toBeGreaterThan(0)
        expect(typeof box.streamPrompt).toBe('function')
      }),
    )

    test('concurrently created boxes get distinct ids', () =>
      withBoxes(3, async (boxes) => {
        expect(new Set(boxes.map((b) => b.id)).size).toBe(3)
      }),
    )

    test('streamPrompt yields at least one {type, data} event', () =>
      withBoxes(1, async ([box]) => {
        const events: SandboxEvent[] = []
        for await (const event of box.streamPrompt(prompt)) events.push(event)
        expect(events.length).toBeGreaterThan(0)
        for (const event of events) {
          expect(typeof event.type).toBe('string')
          expect(isObject(event.data)).toBe(true)
          if (event.id !== undefined) expect(typeof event.id).toBe('string')
        }
      }),
    )

    if (caps.get) {
      test('get(id) returns the created box', () =>
        withBoxes(1, async ([box], client) => {
          expect(typeof client.get).toBe('function')
          const found = await client.get!(box.id)
          expect(found?.id).toBe(box.id)
        }),
      )
    }

    if (caps.abort) {
      test('streamPrompt with an aborted signal throws an AbortError', () =>
        withBoxes(1, async ([box]) => {
          const controller = new AbortController()
          controller.abort()
          const err = await rejectionOf(async () => {
            for await (const _ of box.streamPrompt(prompt, { signal: controller.signal })) {
              // Draining: an implementation that ignores the signal fails below.
            }
          })
          expect(err).toBeInstanceOf(Error)
          expect((err as Error).name).toBe('AbortError')
        }),
      )
    }

    if (caps.exec) {
      test('exec reports stdout, stderr and exit codes', () =>
        withBoxes(1, async ([box]) => {
          const ok = await box.exec!('echo conformance-ok; echo to-stderr >&2')
          expect(ok.exitCode).toBe(0)
          expect(ok.stdout).toContain('conformance-ok')
          expect(ok.stderr).toContain('to-stderr')
          const failed = await box.exec!('exit 3')
          expect(failed.exitCode).toBe(3)
        }),
      )
    }

    if (caps.read && caps.write) {
      test('write then read round-trips text, nested directories included', () =>
        withBoxes(1, async ([box]) => {
          const content = 'line one\nünïcödé ✓\n'
          await box.write!('conformance/nested/file.txt', content)
          expect(await box.read!('conformance/nested/file.txt')).toBe(content)
          await box.write!('conformance/nested/file.txt', 'replaced\n')
          expect(await box.read!('conformance/nested/file.txt')).toBe('replaced\n')
        }),
      )

      test('boxes are isolated: a file written in one is absent from another', () =>
        withBoxes(2, async ([a, b]) => {
          await a.write!('isolation-probe.txt', 'only in a\n')
          expect(await a.read!('isolation-probe.txt')).toBe('only in a\n')
          const err = await rejectionOf(() => b.read!('isolation-probe.txt'))
          expect(err === NO_REJECTION).toBe(false)
        }),
      )

      test('read of a missing file rejects', () =>
        withBoxes(1, async ([box]) => {
          const err = await rejectionOf(() => box.read!('no/such/file-for-conformance.txt'))
          expect(err).toBeInstanceOf(Error)
        }),
      )
    }

    if (caps.exec && caps.write) {
      test('exec runs in the same workspace that write writes to', () =>
        withBoxes(1, async ([box]) => {
          await box.write!('cwd-probe.txt', 'probe-content')
          const r = await box.exec!('cat cwd-probe.txt')
          expect(r.exitCode).toBe(0)
          expect(r.stdout).toBe('probe-content')
        }),
      )
    }

    if (caps.confinesPaths) {
      test('paths that escape the box are rejected', () =>
        withBoxes(1, async ([box]) => {
          if (caps.read) {
            const err = await rejectionOf(() => box.read!('../../../../../../etc/passwd'))
            expect(err).toBeInstanceOf(Error)
          }
          if (caps.write) {
            const err = await rejectionOf(() => box.write!(`../conformance-escape-${box.id}.txt`, 'escaped'))
            expect(err).toBeInstanceOf(Error)
          }
        }),
      )
    }

    if (caps.gitDiff) {
      test('git.diff of a fresh box is empty', () =>
        withBoxes(1, async ([box]) => {
          const diff = await box.git!.diff()
          expect(diff.raw.trim()).toBe('')
          expect(diff.additions).toBe(0)
          expect(diff.deletions).toBe(0)
        }),
      )

      if (caps.write) {
        test('git.diff shows a newly written file', () =>
          withBoxes(1, async ([box]) => {
            await box.write!('conformance-new-file.txt', 'a\nb\n')
            const diff = await box.git!.diff()
            expect(diff.raw).toContain('conformance-new-file.txt')
            expect(diff.additions).toBeGreaterThan(1)
            if (diff.files) expect(diff.files.map((f) => f.path)).toContain('conformance-new-file.txt')
          }),
        )
      }
    }

    if (caps.delete) {
      test('delete resolves and is idempotent', async () => {
        const client = await options.createClient()
        const box = await client.create(await createOptions())
        expect(typeof box.delete).toBe('function')
        await box.delete!()
        await box.delete!()
        await Promise.all([box.delete!(), box.delete!()])
      })

      if (caps.get) {
        test('get(id) no longer returns a deleted box', async () => {
          const client = await options.createClient()
          const box = await client.create(await createOptions())
          await box.delete!()
          expect(await client.get!(box.id)).toBe(null)
        })
      }
    }
  })
}
