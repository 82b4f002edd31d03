import { PlannerError, ValidationError } from '@tangle-network/agent-runtime-core'
import type { LoopTraceEvent, SandboxEvent } from '@tangle-network/agent-runtime-core'
import { type PlannerContext, createDynamicDriver, createSandboxPlanner, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import { describe, expect, it } from 'vitest'

type Task = { goal: string }

const decodeTask = (raw: unknown): Task => {
  if (!raw || typeof raw !== 'object' || typeof (raw as Task).goal !== 'string') throw new Error('task needs a string goal')
  return { goal: (raw as Task).goal }
}

function ctx(partial: Partial<PlannerContext<Task>> = {}): PlannerContext<Task> {
  return { task: { goal: 'root' }, history: [], iterationsSpent: 0, iterationsRemaining: 8, roundIndex: 0, findings: [], ...partial }
}

function plannerSandbox(replies: SandboxEvent[][], extra: Parameters<typeof createScriptedSandboxClient>[0] = {}) {
  return createScriptedSandboxClient({ idPrefix: 'planner', ...extra, respond: (_prompt, { call }) => replies[call] ?? [] })
}

describe('createSandboxPlanner', () => {
  it('drives a dynamic loop end to end and deletes its planner sandbox every round', async () => {
    const planners = plannerSandbox([
      [{ type: 'result', data: { result: { kind: 'refine', tasks: [{ goal: 'draft' }], rationale: 'start small' } } }],
      [{ type: 'planner.move', data: { kind: 'fanout', tasks: [{ goal: 'a' }, { goal: 'b' }], rationale: 'two ideas' } }],
      [{ type: 'final', data: { output: { kind: 'stop', rationale: 'b is valid' } } }],
    ])
    const workers = createScriptedSandboxClient({
      respond: (prompt) => [{ type: 'result', data: { finalText: prompt, usage: { inputTokens: 10, outputTokens: 2 } } }],
    })
    const planner = createSandboxPlanner<Task, string>({
      client: planners,
      profile: { name: 'planner', metadata: { backendType: 'claude-code' } },
      decodeTask,
    })
    const events: LoopTraceEvent[] = []
    const result = await runLoop({
      driver: createDynamicDriver({ planner }),
      agentRun: { profile: { name: 'worker' }, taskToPrompt: (t: Task) => t.goal },
      output: { parse: (evs) => String(evs.at(-1)?.data.finalText) },
      validator: { validate: (out: string) => ({ valid: out === 'b', score: out === 'b' ? 1 : 0.4 }) },
      task: { goal: 'root' },
      ctx: { sandboxClient: workers, traceEmitter: { emit: (e) => void events.push(e) } },
    })
    expect(result.iterations.map((it) => it.task.goal)).toEqual(['draft', 'a', 'b'])
    expect(result.winner?.iterationIndex).toBe(2)
    expect(planners.created).toHaveLength(3)
    expect(planners.deleted).toEqual(planners.created)
    expect(planners.boxes.map((b) => b.createOptions?.backend)).toEqual(
      Array.from({ length: 3 }, () => ({ type: 'claude-code', profile: { name: 'planner', metadata: { backendType: 'claude-code' } } })),
    )
    expect(planners.prompts[0].prompt).toContain('Iterations spent: 0. Remaining before the hard cap: 8.')
    expect(planners.prompts[2].prompt).toContain('Iterations spent: 3. Remaining before the hard cap: 5.')
    expect(planners.prompts[2].prompt).toContain('#2 · round 1 · agent worker')
    expect(planners.prompts[0].prompt).toContain('```json')
    const kinds = events.flatMap((e) => (e.kind === 'loop.plan' ? [`${e.payload.moveKind}:${e.payload.rationale}`] : []))
    expect(kinds).toEqual(['refine:start small', 'fanout:two ideas', 'stop:b is valid'])
  })

  it('expands the n shorthand and a task-less refine to the root task', async () => {
    const planners = plannerSandbox([
      [{ type: 'result', data: { result: { kind: 'fanout', n: 3, rationale: 'spread' } } }],
      [{ type: 'result', data: { result: { kind: 'refine' } } }],
    ])
    const planner = createSandboxPlanner<Task>({ client: planners, profile: { name: 'p' }, decodeTask })
    expect(await planner(ctx())).toEqual({ kind: 'fanout', tasks: [{ goal: 'root' }, { goal: 'root' }, { goal: 'root' }], rationale: 'spread' })
    expect(await planner(ctx({ roundIndex: 1 }))).toEqual({ kind: 'refine', task: { goal: 'root' } })
    expect(planners.boxes[0].createOptions?.backend?.type).toBe('opencode')
    expect(planners.boxes[0].createOptions?.name).toBe('loop-planner-r0')
  })

  it('reads a fenced json block from streamed text', async () => {
    const planners = plannerSandbox([
      [
        { type: 'message.part.updated', data: { part: { type: 'text' }, delta: 'I think we should stop.\n```json\n{"kind":' } },
        { type: 'message.part.updated', data: { part: { type: 'text' }, delta: '"select","index":0,"rationale":"first was fine"}\n```\n' } },
        { type: 'done', data: {} },
      ],
    ])
    const planner = createSandboxPlanner<Task>({ client: planners, profile: {}, decodeTask })
    expect(await planner(ctx())).toEqual({ kind: 'select', index: 0, rationale: 'first was fine' })
  })

  it('fails with PlannerError when there is no envelope, and still deletes the box', async () => {
    const planners = plannerSandbox([[{ type: 'result', data: { finalText: 'I am not sure what to do.' } }]])
    const planner = createSandboxPlanner<Task>({ client: planners, profile: {}, decodeTask })
    const err = await Promise.resolve(planner(ctx())).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(PlannerError)
    expect(err as PlannerError).toMatchObject({ code: 'validation', kind: 'planner' })
    expect((err as Error).message).toMatch(/no parseable topology-move envelope/)
    expect(planners.deleted).toEqual(planners.created)
  })

  it('fails with PlannerError when decodeTask rejects a task, or a fanout has neither tasks nor n', async () => {
    const planners = plannerSandbox([
      [{ type: 'result', data: { result: { kind: 'fanout', tasks: [{ goal: 'ok' }, { nope: true }] } } }],
      [{ type: 'result', data: { result: { kind: 'fanout' } } }],
      [{ type: 'result', data: { result: { kind: 'fanout', n: 0 } } }],
      [{ type: 'result', data: { result: { kind: 'teleport' } } }],
    ])
    const planner = createSandboxPlanner<Task>({ client: planners, profile: {}, decodeTask })
    await expect(planner(ctx())).rejects.toThrow(new PlannerError('decodeTask rejected task 1 ({"nope":true}): task needs a string goal'))
    await expect(planner(ctx())).rejects.toThrow(/fanout envelope has neither tasks nor n/)
    await expect(planner(ctx())).rejects.toThrow(/fanout envelope has n=0; it must be an integer from 1 to 1024/)
    await expect(planner(ctx())).rejects.toThrow(/unknown move kind "teleport"/)
    expect(planners.deleted).toHaveLength(4)
  })

  it('survives a failing delete, reporting it, and honours custom prompt, parser and overrides', async () => {
    const planners = plannerSandbox([[{ type: 'custom', data: { move: 'stop' } }]], { failDelete: true })
    const teardown: string[] = []
    const planner = createSandboxPlanner<Task>({
      client: planners,
      profile: { name: 'p' },
      decodeTask,
      buildPrompt: (c) => `round ${c.roundIndex}`,
      parseEnvelope: (events) => ({ kind: String(events[0]?.data.move) }),
      sandboxOverrides: { name: 'custom', env: { A: '1' }, backend: { type: 'codex', profile: 'ignored' } },
      onTeardownError: (_err, id) => teardown.push(id),
    })
    expect(await planner(ctx({ roundIndex: 4 }))).toEqual({ kind: 'stop' })
    expect(planners.prompts[0].prompt).toBe('round 4')
    expect(planners.boxes[0].createOptions).toEqual({ name: 'custom', env: { A: '1' }, backend: { type: 'codex', profile: { name: 'p' } } })
    expect(teardown).toEqual(planners.deleteCalls)
    expect(teardown).toHaveLength(1)
  })

  it('deletes its planner sandbox when the stream fails or the round is aborted', async () => {
    const planners = createScriptedSandboxClient({
      idPrefix: 'planner',
      respond: (_prompt, { call }) =>
        (async function* () {
          yield { type: 'message.part.updated', data: { part: { type: 'text' }, delta: 'thinking…' } }
          if (call === 0) throw new Error('harness crashed')
          yield { type: 'result', data: { result: { kind: 'stop' } } }
        })(),
    })
    const planner = createSandboxPlanner<Task>({ client: planners, profile: {}, decodeTask })
    await expect(planner(ctx())).rejects.toThrow('harness crashed')
    expect(planners.deleted).toEqual(planners.created)
    expect(planners.created).toHaveLength(1)

    const controller = new AbortController()
    const aborting = createSandboxPlanner<Task>({
      client: {
        create: async (options, request) => {
          const box = await planners.create(options, request)
          return {
            ...box,
            id: box.id,
            delete: () => box.delete?.() ?? Promise.resolve(),
            streamPrompt: async function* (message, opts) {
              for await (const event of box.streamPrompt(message, opts)) {
                controller.abort()
                yield event
              }
            },
          }
        },
      },
      profile: {},
      decodeTask,
    })
    const err = await Promise.resolve(aborting(ctx({ signal: controller.signal }))).catch((e: unknown) => e)
    expect((err as Error).name).toBe('AbortError')
    expect(planners.created).toHaveLength(2)
    expect(planners.deleted).toEqual(planners.created)

    const before = await Promise.resolve(aborting(ctx({ signal: controller.signal }))).catch((e: unknown) => e)
    expect((before as Error).message).toBe('planner aborted before its sandbox was created')
    expect(planners.created).toHaveLength(2)
  })

  it('validates its options', () => {
    expect(() => createSandboxPlanner({ client: {} as never, profile: {}, decodeTask })).toThrow(ValidationError)
    expect(() => createSandboxPlanner({ client: {} as never, profile: {}, decodeTask })).toThrow(/client.create is required/)
    expect(() => createSandboxPlanner({ client: plannerSandbox([]), profile: {}, decodeTask: undefined as never })).toThrow(/decodeTask is required/)
  })
})
