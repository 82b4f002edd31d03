import type { SandboxBox, SandboxEvent, SandboxExecResult } from '@tangle-network/agent-runtime-core'
import { isAbortError, ValidationError } from '@tangle-network/agent-runtime-core'
import { createCoderOutputAdapter, NOT_CONFIGURED_OUTPUT, readReportedCoderOutput } from '@tangle-network/agent-runtime-core/profiles'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const PATCH = 'diff --git a/src/sum.js b/src/sum.js\n--- a/src/sum.js\n+++ b/src/sum.js\n@@ -1 +1 @@\n-return a - b\n+return a + b\n'

type Exec = (command: string, options?: { timeoutMs?: number }) => Promise<SandboxExecResult>

/** A hand-made box: `commands` maps a command to its result; every exec is recorded. */
function fakeBox(opts: { diff?: () => Promise<{ raw: string; additions: number; deletions: number }>; commands?: Record<string, SandboxExecResult | Error> }) {
  const calls: { command: string; timeoutMs?: number }[] = []
  const box: SandboxBox = { id: 'box-1', streamPrompt: async function* () {} }
  if (opts.diff) box.git = { diff: opts.diff }
  if (opts.commands) {
    const commands = opts.commands
    const exec: Exec = async (command, options) => {
      calls.push({ command, timeoutMs: options?.timeoutMs })
      const result = commands[command]
      if (result instanceof Error) throw result
      return result ?? { exitCode: 127, stdout: '', stderr: `sh: ${command}: not found` }
    }
    box.exec = exec
  }
  return { box, calls }
}

const task = { goal: 'fix sum', repoRoot: '/repo', testCmd: 'node test.mjs', typecheckCmd: 'tsc --noEmit' }
const BRANCH = 'git rev-parse --abbrev-ref HEAD'

describe('createCoderOutputAdapter with a box that can diff and exec', () => {
  it('measures the patch with git.diff and runs tests and typecheck inside the box', async () => {
    const { box, calls } = fakeBox({
      diff: async () => ({ raw: PATCH, additions: 1, deletions: 1 }),
      commands: {
        'node test.mjs': { exitCode: 0, stdout: 'ok 1\n', stderr: '' },
        'tsc --noEmit': { exitCode: 2, stdout: "a.ts(1,1): error TS2322: Type 'x'\n", stderr: '' },
        [BRANCH]: { exitCode: 0, stdout: 'agent-runtime/box-1\n', stderr: '' },
      },
    })
    // The agent's own claims are ignored when the box can be measured.
    const events: SandboxEvent[] = [{ type: 'coder.result', data: { patch: '', testResult: { passed: false, output: 'lie' } } }]
    const output = await createCoderOutputAdapter(task, { commandTimeoutMs: 5000 }).parse(events, { box })
    expect(output).toEqual({
      branch: 'agent-runtime/box-1',
      patch: PATCH,
      testResult: { passed: true, output: 'ok 1\n' },
      typecheckResult: { passed: false, output: "exit 2\na.ts(1,1): error TS2322: Type 'x'\n" },
      diffStats: { filesChanged: 1, insertions: 1, deletions: 1 },
    })
    expect(calls).toEqual([
      { command: 'node test.mjs', timeoutMs: 5000 },
      { command: 'tsc --noEmit', timeoutMs: 5000 },
      { command: BRANCH, timeoutMs: undefined },
    ])
  })

  it('counts an unconfigured check as passed with output "not configured"', async () => {
    const { box, calls } = fakeBox({ diff: async () => ({ raw: PATCH, additions: 1, deletions: 1 }), commands: {} })
    const output = await createCoderOutputAdapter({ goal: 'g', repoRoot: '/r' }).parse([], { box })
    expect(output.testResult).toEqual({ passed: true, output: NOT_CONFIGURED_OUTPUT, skipped: true })
    expect(output.typecheckResult).toEqual({ passed: true, output: 'not configured', skipped: true })
    expect(calls.map((c) => c.command)).toEqual([BRANCH])
    expect(output.branch).toBe('')
  })

  it('falls back to `git diff` through exec when git.diff is missing or throws', async () => {
    const gitDiff = 'git add -A -N && git -c core.quotepath=false diff --no-color --no-ext-diff HEAD'
    const { box, calls } = fakeBox({
      diff: async () => {
        throw new Error('git.diff unsupported')
      },
      commands: { [gitDiff]: { exitCode: 0, stdout: PATCH, stderr: '' }, 'node test.mjs': new Error('spawn sh ENOENT') },
    })
    const output = await createCoderOutputAdapter({ ...task, typecheckCmd: undefined }).parse([], { box })
    expect(output.patch).toBe(PATCH)
    expect(calls[0].command).toBe(gitDiff)
    expect(output.testResult).toEqual({ passed: false, output: 'could not run `node test.mjs`: spawn sh ENOENT' })
  })

  it('keeps only the tail of a very long test output', async () => {
    const long = `${'x'.repeat(20_000)}\nFAIL at the end\n`
    const { box } = fakeBox({ diff: async () => ({ raw: PATCH, additions: 1, deletions: 1 }), commands: { 'node test.mjs': { exitCode: 1, stdout: long, stderr: '' } } })
    const output = await createCoderOutputAdapter({ goal: 'g', repoRoot: '/r', testCmd: 'node test.mjs' }).parse([], { box })
    expect(output.testResult.passed).toBe(false)
    expect(output.testResult.output.length).toBeLessThan(9000)
    expect(output.testResult.output.endsWith('FAIL at the end\n')).toBe(true)
  })

  it('rejects with an AbortError when the signal is already aborted', async () => {
    const { box } = fakeBox({ commands: {} })
    const controller = new AbortController()
    controller.abort()
    const err = await Promise.resolve()
      .then(() => createCoderOutputAdapter(task).parse([], { box, signal: controller.signal }))
      .catch((e: unknown) => e)
    expect(isAbortError(err)).toBe(true)
  })
})

describe('createCoderOutputAdapter with a box that cannot exec', () => {
  it('uses the agent-reported result event, and git.diff when the box has it', async () => {
    const events: SandboxEvent[] = [
      { type: 'message.part.updated', data: { delta: 'working…' } },
      {
        type: 'coder.result',
        data: { patch: 'ignored', branch: 'feat/x', testResult: { passed: true, output: 'ok' }, typecheckResult: { passed: true, output: 'ok' }, reviewerNotes: 'looks fine' },
      },
    ]
    const { box } = fakeBox({ diff: async () => ({ raw: PATCH, additions: 1, deletions: 1 }) })
    const output = await createCoderOutputAdapter(task).parse(events, { box })
    expect(output).toEqual({
      branch: 'feat/x',
      patch: PATCH,
      testResult: { passed: true, output: 'ok' },
      typecheckResult: { passed: true, output: 'ok' },
      diffStats: { filesChanged: 1, insertions: 1, deletions: 1 },
      reviewerNotes: 'looks fine',
    })
  })

  it('reads a fenced JSON block when there is no result event, and fails a configured check the agent did not report', async () => {
    const report = { patch: PATCH, testResult: { passed: true, output: 'all green' } }
    const events: SandboxEvent[] = [{ type: 'message.part.updated', data: { delta: `Done.\n\`\`\`json\n${JSON.stringify(report)}\n\`\`\`\n` } }]
    const output = await createCoderOutputAdapter(task).parse(events)
    expect(output.patch).toBe(PATCH)
    expect(output.testResult).toEqual({ passed: true, output: 'all green' })
    expect(output.typecheckResult).toEqual({
      passed: false,
      output: 'typecheck command `tsc --noEmit` could not run: the sandbox has no exec() and the agent reported no result',
    })
    expect(output.branch).toBe('')
  })

  it('throws ValidationError when no patch can be found anywhere', async () => {
    const run = createCoderOutputAdapter(task).parse([{ type: 'result', data: { finalText: 'I fixed it' } }])
    await expect(run).rejects.toBeInstanceOf(ValidationError)
    await expect(run).rejects.toMatchObject({ code: 'validation', message: expect.stringContaining('coder output: no patch available') })
  })
})

describe('readReportedCoderOutput', () => {
  it('takes the last result-like payload with a patch, from data.result, data.output or data itself, and drops mistyped fields', () => {
    expect(readReportedCoderOutput([{ type: 'final', data: { output: JSON.stringify({ patch: 'p1', branch: 7, testResult: { passed: 'yes' } }) } }])).toEqual({
      patch: 'p1',
    })
    expect(
      readReportedCoderOutput([
        { type: 'result', data: { result: { patch: 'p1' } } },
        { type: 'result', data: { usage: { inputTokens: 3 } } },
      ]),
    ).toEqual({ patch: 'p1' })
    expect(readReportedCoderOutput([{ type: 'status', data: { patch: 'p' } }])).toBeUndefined()
  })
})

describe('reading agent reports from untrusted events (property)', () => {
  const text = fc.oneof(fc.string(), fc.constantFrom('```json\n{"patch":"x"}\n```', '```\n{"patch":', '```json\n[1]\n```', '{"patch":"y"}'))
  const data = fc.oneof(
    fc.dictionary(fc.constantFrom('result', 'output', 'delta', 'text', 'content', 'patch', 'testResult'), fc.oneof(text, fc.anything())),
    fc.anything(),
  )
  const event = fc.oneof(fc.record({ type: fc.constantFrom('result', 'final', 'coder.result', 'message.part.updated', 'x'), data }), fc.anything())

  it('never throws, and returns a string patch whenever it returns anything', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), (events) => {
        const reported = readReportedCoderOutput(events as SandboxEvent[])
        if (reported !== undefined) expect(typeof reported.patch).toBe('string')
      }),
      { numRuns: 400 },
    )
  })

  it('makes the adapter either return an output or reject with ValidationError, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 8 }), async (events) => {
        const outcome = await Promise.resolve()
          .then(() => createCoderOutputAdapter({ goal: 'g', repoRoot: '/r' }).parse(events as SandboxEvent[]))
          .catch((e: unknown) => e)
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(ValidationError)
        else expect(typeof (outcome as { patch: unknown }).patch).toBe('string')
      }),
      { numRuns: 200 },
    )
  })
})
