import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SandboxClient, SandboxCreateOptions, SandboxEvent } from '@tangle-network/agent-runtime'
import { collectAgentRun, createMemoryTraceStore, createSandboxAct, recordAgentRun } from '@tangle-network/agent-runtime/agent'
import { defineAgent } from '@tangle-network/agent-runtime/agent/node'
import { createLocalSandboxClient, scriptedHarness, usageEvent } from '@tangle-network/agent-runtime/sandbox-local'
import { afterAll, describe, expect, it } from 'vitest'

type Persona = { id: string; message: string }

const root = mkdtempSync(join(tmpdir(), 'sandbox-act-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
for (const d of ['prompts', 'tools', 'personas', 'knowledge']) mkdirSync(join(root, d))
writeFileSync(join(root, 'rubric.md'), '# rubric\n')

const surfaces = { systemPrompt: 'prompts', tools: 'tools', personas: 'personas', knowledge: 'knowledge', rubric: 'rubric.md' }

describe('createSandboxAct', () => {
  it('runs each persona through the production profile on sandbox-local and records the run', async () => {
    const seen: { prompt: string; harnessOf: string | undefined; profile: unknown; files: boolean }[] = []
    const client = createLocalSandboxClient({
      root: join(root, 'boxes'),
      harnesses: {
        'claude-code': scriptedHarness(async ({ prompt, files, createOptions }) => {
          await files.write('answer.txt', `answer to ${prompt}`)
          seen.push({ prompt, harnessOf: createOptions.backend?.type, profile: createOptions.backend?.profile, files: await files.exists('answer.txt') })
          return [{ type: 'tool_result', data: { toolName: 'search', result: 'policy: refunds within 30 days' } }, `Refunds are accepted within 30 days, ${prompt}.`, usageEvent({ inputTokens: 10, outputTokens: 5, costUsd: 0.002 })]
        }),
      },
    })
    const profile = { name: 'support', harness: 'claude-code', model: { default: 'anthropic/claude-sonnet-4-6' }, prompt: { systemPrompt: 'be kind' } }
    const act = createSandboxAct<Persona, string>({ sandboxClient: client, profile, message: (p) => p.message })
    const agent = defineAgent<Persona, string>({
      id: 'support',
      repoRoot: root,
      surfaces,
      rubric: { dimensions: [{ id: 'mentions-window', weight: 1, score: ({ output }) => (output.includes('30 days') ? 1 : 0) }] },
      runtime: { act },
      personas: () => [{ id: 'alice', message: 'alice' }],
      analystKinds: [],
      analyst: { model: 'gpt-4o-mini' },
    })
    const traces = createMemoryTraceStore()
    const run = await recordAgentRun(agent, { id: 'alice', message: 'alice' }, { traces, runId: 'run-1' })
    expect(run).toMatchObject({ status: 'completed', output: 'Refunds are accepted within 30 days, alice.', composite: 1 })
    expect(seen).toEqual([{ prompt: 'alice', harnessOf: 'claude-code', profile, files: true }])
    const events = await traces.events('run-1')
    expect(events[0]).toMatchObject({ kind: 'task', type: 'sandbox_created' })
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['tool_result', 'message.part.updated', 'usage']))
    expect(events.find((e) => e.type === 'message.part.updated')?.kind).toBe('chat')
    expect((await traces.getRun('run-1'))?.costUsd).toBeCloseTo(0.002, 6)
    // The box was deleted after the run.
    expect(await client.get(String(events[0]!.payload.boxId))).toBeNull()
  })

  it('works with any structural SandboxClient and deletes the box even when the agent fails', async () => {
    const created: SandboxCreateOptions[] = []
    const deleted: string[] = []
    const scripts: Record<string, SandboxEvent[]> = {
      ok: [
        { type: 'message.part.updated', data: { part: { type: 'text' }, delta: 'Hello ' } },
        { type: 'message.part.updated', data: { part: { type: 'text' }, delta: 'Bob' } },
        { type: 'result', data: { finalText: 'Hello Bob!', tokenUsage: { inputTokens: 3, outputTokens: 2 } } },
        { type: 'message.part.updated', data: { delta: 'after the end' } },
      ],
      fail: [{ type: 'error', data: { message: 'model overloaded' } }],
    }
    // A plain object with the sandbox SDK's shape: nothing from this repository.
    const client: SandboxClient = {
      async create(options) {
        created.push(options ?? {})
        const id = `box-${created.length}`
        return {
          id,
          async *streamPrompt(message) {
            yield* scripts[message]!
          },
          async delete() {
            deleted.push(id)
          },
        }
      },
    }
    const act = createSandboxAct<Persona, { greeting: string }>({
      sandboxClient: client,
      profile: { name: 'greeter', harness: 'codex' },
      decodeOutput: (turn) => ({ greeting: turn.text }),
      createOptions: { metadata: { repoRoot: '/repo' }, env: { A: '1' } },
    })
    const ok = await collectAgentRun(act({ id: 'bob', message: 'ok' }, { runId: 'r1', emitter: { emit() {} } }))
    expect(ok.output).toEqual({ greeting: 'Hello Bob!' })
    expect(ok.events.map((e) => e.type)).toEqual(['sandbox_created', 'message.part.updated', 'message.part.updated', 'result'])
    expect(created[0]).toMatchObject({ name: 'greeter-r1', env: { A: '1' }, backend: { type: 'codex', profile: { name: 'greeter', harness: 'codex' } }, metadata: { runId: 'r1', personaId: 'bob', repoRoot: '/repo' } })
    const failing = act({ id: 'eve', message: 'fail' }, { runId: 'r2', emitter: { emit() {} } })
    await expect(failing.output).rejects.toThrow(/sandbox agent failed for persona 'eve': model overloaded/)
    await expect(collectAgentRun(failing)).rejects.toThrow(/model overloaded/)
    expect(deleted).toEqual(['box-1', 'box-2'])
  })

  it('turns the run deadline into the prompt timeout, and refuses a run already past it', async () => {
    const timeouts: (number | undefined)[] = []
    let creates = 0
    const client: SandboxClient = {
      async create() {
        creates++
        return {
          id: 'b',
          async *streamPrompt(_m, o) {
            timeouts.push(o?.timeoutMs)
            yield { type: 'result', data: { finalText: 'ok' } }
          },
        }
      },
    }
    const act = createSandboxAct<Persona>({ sandboxClient: client, profile: {}, timeoutMs: 5_000, clock: () => 1_000 })
    const ctx = (deadlineMs?: number) => ({ runId: 'r', emitter: { emit() {} }, deadlineMs })
    await act({ id: 'a', message: 'x' }, ctx(3_000)).output
    await act({ id: 'a', message: 'x' }, ctx(60_000)).output
    await act({ id: 'a', message: 'x' }, ctx()).output
    expect(timeouts).toEqual([2_000, 5_000, 5_000])
    await expect(act({ id: 'late', message: 'x' }, ctx(1_000)).output).rejects.toThrow(/reached its deadline/)
    expect(creates).toBe(3)
  })

  it('rejects a missing client or profile with a clear message', () => {
    expect(() => createSandboxAct({ sandboxClient: {} as SandboxClient, profile: {} })).toThrow(/sandboxClient must be a SandboxClient/)
    expect(() => createSandboxAct({ sandboxClient: { create: async () => ({}) as never }, profile: undefined as never })).toThrow(/profile is required/)
  })
})
