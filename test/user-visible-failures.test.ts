/**
 * Failures a user can see: each bad call or broken dependency ends in a
 * message that names the field, command, host or cause, where the user looks.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import {
  type ConversationStreamEvent,
  createConversationBackend,
  createOpenAICompatibleBackend,
  defineConversation,
  runAgentTaskStream,
  runConversation,
} from '@tangle-network/agent-runtime'
import { renderLoopTrace } from '@tangle-network/agent-runtime/loops'
import { initGitRepo } from '@tangle-network/agent-runtime/sandbox-local'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const tmp = mkdtempSync(join(tmpdir(), 'user-visible-failures-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as { port: number }
  await new Promise<void>((done) => server.close(() => done()))
  return port
}

describe('bad calls throw ValidationErrors naming the field', () => {
  it('runAgentTaskStream({}) names options.task, at the call', () => {
    expect(() => runAgentTaskStream({} as never)).toThrowError(
      expect.objectContaining({ name: 'ValidationError', code: 'validation', message: 'runAgentTaskStream: options.task is required: an AgentTaskSpec { id, intent }, got undefined.' }),
    )
  })

  it('runAgentTaskStream without a backend names options.backend', () => {
    expect(() => runAgentTaskStream({ task: { id: 't', intent: 'x' } } as never)).toThrowError(/^runAgentTaskStream: options\.backend is required/)
    expect(() => runAgentTaskStream({ task: { id: 't', intent: 'x' }, backend: { kind: 'k' } } as never)).toThrowError(
      /^runAgentTaskStream: options\.backend\.stream must be a function/,
    )
    expect(() => runAgentTaskStream({ task: { id: 7, intent: 'x' }, backend: { kind: 'k', stream: () => [] } } as never)).toThrowError(
      'runAgentTaskStream: options.task.id must be a non-empty string, got 7.',
    )
  })

  it('renderLoopTrace(undefined) names events', () => {
    expect(() => renderLoopTrace(undefined as never)).toThrowError(
      expect.objectContaining({ name: 'ValidationError', message: 'renderLoopTrace: events must be an array of loop trace events (collect them with ctx.traceEmitter), got undefined.' }),
    )
    expect(() => renderLoopTrace([{ kind: 'loop.started' }] as never)).toThrowError(/^renderLoopTrace: events\[0\] is not a loop trace event/)
  })
})

describe('an unreachable backend in a conversation', () => {
  it('halts the run with its cause (ECONNREFUSED and host) in the result and the events', async () => {
    const port = await closedPort()
    const dead = createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', retry: { maxAttempts: 1 } })
    const conversation = defineConversation({ participants: [{ name: 'a', backend: dead }, { name: 'b', backend: dead }], policy: { maxTurns: 2 } })
    const events: ConversationStreamEvent[] = []
    const result = await runConversation(conversation, { seed: 'hi', onEvent: (e) => void events.push(e) })
    const cause = `fetch failed: connection refused (ECONNREFUSED) at 127.0.0.1:${port}`
    expect(result.turns).toBe(0)
    expect(result.halted).toMatchObject({ kind: 'participant_error', participant: 'a' })
    expect(result.halted.kind === 'participant_error' && result.halted.message).toContain(cause)
    const end = events.at(-1)
    expect(end?.type).toBe('conversation_end')
    expect(JSON.stringify(end)).toContain(cause)

    // Nested as a backend, the failure reaches the outer stream's final event.
    const task = { id: 'panel', intent: 'Run a panel' }
    const finals = []
    for await (const e of runAgentTaskStream({ task, backend: createConversationBackend({ conversation }) })) if (e.type === 'final') finals.push(e)
    expect(finals).toHaveLength(1)
    expect(finals[0]).toMatchObject({ status: 'failed' })
    expect(finals[0]?.error?.message).toContain(cause)
    expect(finals[0]?.metadata).toMatchObject({ turns: 0, halted: { kind: 'participant_error' } })
  })
})

describe("the README's loop snippet", () => {
  it('passes the agent key through envAllowlist, and prints why when no candidate wins (missing CLI agent)', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## A loop: three attempts'))
    const snippet = section.slice(section.indexOf('```ts\n') + 6, section.indexOf('\n```', section.indexOf('```ts\n')))
    expect(snippet).toContain("envAllowlist: ['ANTHROPIC_API_KEY']")
    const repo = (await initGitRepo(join(tmp, 'repo'), { 'package.json': '{"scripts":{"test":"exit 1"}}\n' })).dir
    const dir = mkdtempSync(join(ROOT, 'test', '.readme-loop-'))
    try {
      const file = join(dir, 'loop.ts')
      writeFileSync(file, snippet.replace("'/path/to/repo'", JSON.stringify(repo)))
      // A PATH without the `claude` CLI: only node's own folder and the system's.
      const env = { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` }
      const res = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', file], { cwd: ROOT, env, timeout: 120_000 }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      )
      expect(res.code).toBe(1)
      expect(res.stderr).toMatch(/no winner: all 3 iterations failed: command harness claude: "claude" on PATH ".*" was not found \(ENOENT\)/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
