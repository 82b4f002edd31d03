import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type AgentFsCheck,
  AgentManifestError,
  type AgentManifest,
  collectAgentRun,
  createMemoryTraceStore,
  defineAgent,
  recordAgentRun,
  resolveSubjectPath,
  unimplementedAgentRun,
} from '@tangle-network/agent-runtime/agent'
import { defineAgent as defineAgentNode, nodeFsCheck } from '@tangle-network/agent-runtime/agent/node'
import { afterAll, describe, expect, it } from 'vitest'

type Persona = { id: string; message: string }

const SURFACES = { systemPrompt: 'prompts', tools: 'tools', personas: 'personas', knowledge: 'knowledge', rubric: 'rubric.md' }

function manifest(over: Partial<AgentManifest<Persona, string>> = {}): AgentManifest<Persona, string> {
  return {
    id: 'support',
    repoRoot: '/repo',
    surfaces: { ...SURFACES },
    rubric: { dimensions: [{ id: 'helpful', weight: 0.6, score: ({ output }) => (output.includes('refund') ? 1 : 0) }, { id: 'short', weight: 0.4, score: ({ output }) => (output.length < 200 ? 1 : 0) }] },
    runtime: {
      act: (persona) => ({
        events: (async function* () {
          yield { kind: 'chat' as const, type: 'text_delta', payload: { text: `refund for ${persona.id}` } }
        })(),
        output: Promise.resolve(`refund for ${persona.id}`),
      }),
    },
    personas: () => [{ id: 'p1', message: 'hi' }],
    analystKinds: ['failure-clusters'],
    analyst: { model: 'gpt-4o-mini' },
    ...over,
  }
}

/** A filesystem check over a fixed map (absolute path → kind). */
const mapFs =
  (entries: Record<string, 'file' | 'directory'>): AgentFsCheck =>
  (p) =>
    entries[p] ?? 'missing'

const goodFs = mapFs({ '/repo/prompts': 'directory', '/repo/tools': 'directory', '/repo/personas': 'directory', '/repo/knowledge': 'directory', '/repo/rubric.md': 'file' })

function catchManifest(fn: () => unknown): AgentManifestError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(AgentManifestError)
    return err as AgentManifestError
  }
  throw new Error('expected an AgentManifestError')
}

describe('defineAgent (/agent)', () => {
  it('returns the manifest with absolute surface paths when everything is valid', () => {
    const fsCheck = mapFs({ '/repo/prompts': 'directory', '/repo/tools': 'directory', '/repo/personas': 'directory', '/repo/knowledge': 'directory', '/repo/rubric.md': 'file', '/repo/mem': 'file' })
    const agent = defineAgent(manifest({ surfaces: { ...SURFACES, memory: 'mem' } }), { fsCheck })
    expect(agent.id).toBe('support')
    expect(agent.surfacePaths).toEqual({
      systemPrompt: '/repo/prompts',
      tools: '/repo/tools',
      personas: '/repo/personas',
      knowledge: '/repo/knowledge',
      rubric: '/repo/rubric.md',
      memory: '/repo/mem',
    })
  })

  it('lists every problem at once, field by field', () => {
    const fs = mapFs({ '/repo/prompts': 'file', '/repo/tools': 'directory', '/repo/personas': 'directory', '/repo/rubric.md': 'directory' })
    const err = catchManifest(() =>
      defineAgent(
        manifest({
          id: '  ',
          surfaces: { systemPrompt: 'prompts', tools: 'tools', personas: 'personas', knowledge: 'knowledge', rubric: 'rubric.md', rag: 'rag-index' },
          rubric: { dimensions: [{ id: 'a', weight: 1, score: () => 1 }, { id: 'b', weight: 0.9, score: () => 1 }] },
        }),
        { fsCheck: fs },
      ),
    )
    expect(err.code).toBe('validation')
    expect(err.agentId).toBe('  ')
    expect(err.issues.map((i) => [i.field, i.problem])).toEqual([
      ['id', 'blank'],
      ['surfaces.systemPrompt', 'not-directory'],
      ['surfaces.knowledge', 'missing'],
      ['surfaces.rubric', 'not-file'],
      ['surfaces.rag', 'missing'],
      ['rubric.dimensions', 'weights-out-of-range'],
    ])
    expect(err.issues.find((i) => i.field === 'surfaces.knowledge')?.path).toBe('/repo/knowledge')
    expect(err.issues.find((i) => i.problem === 'weights-out-of-range')?.message).toContain('weights sum to 1.9, outside [0.5, 1.5]')
    expect(err.message).toContain('6 problems')
  })

  it('reports a blank repoRoot, an unnamed required surface and an unknown surface', () => {
    const err = catchManifest(() => defineAgent(manifest({ repoRoot: '' }), { fsCheck: goodFs }))
    expect(err.issues).toEqual([{ field: 'repoRoot', problem: 'blank', message: expect.stringContaining('repoRoot: is blank') }])
    const { knowledge: _k, ...withoutKnowledge } = SURFACES
    const err2 = catchManifest(() => defineAgent(manifest({ surfaces: { ...withoutKnowledge, extra: 'x' } as never }), { fsCheck: goodFs }))
    expect(err2.issues.map((i) => [i.field, i.problem])).toEqual([
      ['surfaces.extra', 'unknown-surface'],
      ['surfaces.knowledge', 'missing'],
    ])
  })

  it('validates the shape with zod and names each bad field', () => {
    const bad = manifest({ analyst: { model: '' }, analystKinds: [''], personas: 'nope' as never, runtime: {} as never })
    bad.rubric.dimensions[0]!.weight = Number.NaN
    const err = catchManifest(() => defineAgent(bad, { fsCheck: goodFs }))
    const fields = err.issues.map((i) => i.field)
    expect(fields).toEqual(expect.arrayContaining(['rubric.dimensions.0.weight', 'runtime.act', 'personas', 'analystKinds.0', 'analyst.model']))
    expect(err.issues.every((i) => i.problem === 'invalid')).toBe(true)
    expect(err.issues.find((i) => i.field === 'runtime.act')?.message).toContain('expected runtime.act to be a function')
  })

  it('accepts weights summing to the bounds 0.5 and 1.5', () => {
    for (const w of [0.5, 1.5]) {
      expect(() => defineAgent(manifest({ rubric: { dimensions: [{ id: 'x', weight: w, score: () => 1 }] } }), { fsCheck: goodFs })).not.toThrow()
    }
    expect(() => defineAgent(manifest({ rubric: { dimensions: [{ id: 'x', weight: 0.49, score: () => 1 }] } }), { fsCheck: goodFs })).toThrow(AgentManifestError)
  })

  it('needs a filesystem check on the Workers-safe entry', () => {
    expect(() => defineAgent(manifest())).toThrow(/agent\/node/)
  })
})

describe('defineAgent (/agent/node) on the real filesystem', () => {
  const root = mkdtempSync(join(tmpdir(), 'define-agent-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  for (const d of ['prompts', 'tools', 'personas', 'knowledge']) mkdirSync(join(root, d))
  writeFileSync(join(root, 'rubric.md'), '# rubric\n')

  it('defaults to statting the disk', () => {
    const agent = defineAgentNode(manifest({ repoRoot: root }))
    expect(agent.surfacePaths.knowledge).toBe(`${root}/knowledge`)
    expect(nodeFsCheck(join(root, 'rubric.md'))).toBe('file')
    expect(nodeFsCheck(join(root, 'nope'))).toBe('missing')
    const err = catchManifest(() => defineAgentNode(manifest({ repoRoot: root, surfaces: { ...SURFACES, tools: 'rubric.md', rubric: 'prompts' } })))
    expect(err.issues.map((i) => [i.field, i.problem])).toEqual([
      ['surfaces.tools', 'not-directory'],
      ['surfaces.rubric', 'not-file'],
    ])
  })
})

describe('agent run helpers', () => {
  it('resolveSubjectPath keeps subjects inside the surface', () => {
    expect(resolveSubjectPath('kb', 'Refund Policy/../EU rules.md')).toBe('kb/refund-policy/eu-rules.md')
    expect(resolveSubjectPath('kb/', '../../etc/passwd')).toBe('kb/etc/passwd')
    expect(resolveSubjectPath('kb', '../..')).toBe('kb/untitled')
    expect(resolveSubjectPath('', 'A B')).toBe('a-b')
  })

  it('collectAgentRun drains events and awaits the output', async () => {
    const agent = defineAgent(manifest(), { fsCheck: goodFs })
    const run = await collectAgentRun(agent.runtime.act({ id: 'p9', message: 'x' }, { runId: 'r', emitter: { emit() {} } }))
    expect(run).toEqual({ events: [{ kind: 'chat', type: 'text_delta', payload: { text: 'refund for p9' } }], output: 'refund for p9' })
  })

  it('unimplementedAgentRun fails with a ConfigError naming what to wire', async () => {
    const act = unimplementedAgentRun<Persona, string>('support')
    const handle = act({ id: 'p1', message: '' }, { runId: 'r', emitter: { emit() {} } })
    await expect(collectAgentRun(handle)).rejects.toMatchObject({ code: 'config', message: expect.stringContaining('createSandboxAct') })
    await expect(handle.output).rejects.toThrow(/no runtime.act/)
  })

  it('recordAgentRun writes streamed and emitted events, scores the rubric and records failures', async () => {
    let now = 1000
    const traces = createMemoryTraceStore()
    const agent = defineAgent(
      manifest({
        runtime: {
          act: (persona, ctx) => {
            ctx.emitter.emit({ kind: 'loop', type: 'loop.iteration.end', payload: { durationMs: 5 } })
            if (persona.id === 'bad') {
              const output = Promise.reject(new TypeError('boom'))
              return { events: (async function* () { yield { kind: 'task' as const, type: 'tool_call', payload: { toolName: 'x' } }; await output })(), output }
            }
            return { events: (async function* () { yield { kind: 'task' as const, type: 'llm_call', payload: { costUsd: 0.25 } } })(), output: Promise.resolve('refund ok') }
          },
        },
      }),
      { fsCheck: goodFs },
    )
    const ok = await recordAgentRun(agent, { id: 'good', message: '' }, { traces, runId: 'r-ok', clock: () => now++ })
    expect(ok).toMatchObject({ runId: 'r-ok', status: 'completed', scores: { helpful: 1, short: 1 }, composite: 1 })
    expect((await traces.events('r-ok')).map((e) => [e.seq, e.kind, e.type])).toEqual([
      [0, 'loop', 'loop.iteration.end'],
      [1, 'task', 'llm_call'],
    ])
    expect(await traces.getRun('r-ok')).toMatchObject({ agentId: 'support', personaId: 'good', status: 'completed', costUsd: 0.25, output: 'refund ok' })
    const bad = await recordAgentRun(agent, { id: 'bad', message: '' }, { traces, runId: 'r-bad', clock: () => now++ })
    expect(bad).toEqual({ runId: 'r-bad', status: 'failed', error: 'boom' })
    const badEvents = await traces.events('r-bad')
    expect(badEvents.at(-1)).toMatchObject({ type: 'backend_error', payload: { message: 'boom', errorClass: 'TypeError' } })
    expect(await traces.getRun('r-bad')).toMatchObject({ status: 'failed', error: 'boom' })
  })
})
