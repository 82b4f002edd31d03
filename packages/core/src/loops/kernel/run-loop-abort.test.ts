import { describe, expect, it } from 'vitest'
import type { LoopTraceEvent, SandboxBox, SandboxEvent } from '@tangle-network/agent-runtime-core'
import { type AgentRunSpec, createFanoutVoteDriver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'

const spec: AgentRunSpec<string> = { name: 'w', profile: { name: 'p' }, taskToPrompt: (t) => t }
const parse = { parse: (events: SandboxEvent[]) => events.length }
const validator = { validate: () => ({ valid: true, score: 1 }) }
const untilAborted = (signal: AbortSignal | undefined): Promise<void> =>
  new Promise((resolve) => (signal?.aborted ? resolve() : signal?.addEventListener('abort', () => resolve(), { once: true })))

describe('runLoop abort', () => {
  it('dispatches nothing when aborted during plan', async () => {
    const controller = new AbortController()
    const events: LoopTraceEvent[] = []
    const sandboxClient = createScriptedSandboxClient()
    const err = await runLoop({
      driver: {
        plan: (t: string) => {
          controller.abort()
          return [t, t]
        },
        decide: () => 'done',
      },
      agentRun: spec,
      output: parse,
      validator,
      task: 'x',
      ctx: { sandboxClient, signal: controller.signal, traceEmitter: { emit: (e) => void events.push(e) } },
    }).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('AbortError')
    expect(err.message).toBe('aborted')
    expect(sandboxClient.created).toEqual([])
    expect(events.map((e) => e.kind)).toEqual(['loop.started', 'loop.ended'])
    expect(events[1].payload).toMatchObject({ decision: 'aborted', iterations: 0 })
  })

  it('cancels in-flight iterations, starts no new ones and deletes every box even when a delete throws', async () => {
    const controller = new AbortController()
    const events: LoopTraceEvent[] = []
    const sandboxClient = createScriptedSandboxClient({
      failDelete: (id) => id === 'scripted-1',
      respond: async function* (_prompt, { call, signal }) {
        yield { type: 'progress', data: { call } }
        if (call === 2) setTimeout(() => controller.abort(), 0)
        await untilAborted(signal)
        yield { type: 'result', data: { finalText: 'too late' } }
      },
    })
    let decided = 0
    const err = await runLoop({
      driver: {
        ...createFanoutVoteDriver<string, number>({ n: 6 }),
        decide: () => {
          decided++
          return 'pick-winner' as const
        },
      },
      agentRun: spec,
      output: parse,
      validator,
      task: 'x',
      ctx: { sandboxClient, signal: controller.signal, traceEmitter: { emit: (e) => void events.push(e) } },
      maxConcurrency: 3,
    }).catch((e) => e)
    expect(err.name).toBe('AbortError')
    expect(decided).toBe(0)
    expect(sandboxClient.created).toEqual(['scripted-0', 'scripted-1', 'scripted-2'])
    expect([...sandboxClient.deleteCalls].sort()).toEqual(['scripted-0', 'scripted-1', 'scripted-2'])
    expect([...sandboxClient.deleted].sort()).toEqual(['scripted-0', 'scripted-2'])
    expect(sandboxClient.inFlight).toBe(0)
    const ended = events.filter((e) => e.kind === 'loop.iteration.ended').map((e) => e.payload)
    expect(ended).toHaveLength(3)
    expect(ended.every((p) => p.error === 'aborted')).toBe(true)
    const teardown = events.filter((e) => e.kind === 'loop.teardown.failed').map((e) => e.payload)
    expect(teardown).toEqual([{ iterationIndex: 1, sandboxId: 'scripted-1', reason: 'scripted sandbox: delete of scripted-1 failed' }])
    expect(events.some((e) => e.kind === 'loop.decision')).toBe(false)
    expect(events.at(-1)).toMatchObject({ kind: 'loop.ended', payload: { decision: 'aborted', iterations: 3 } })
  })

  it('cancels a box that ignores its abort signal and still deletes it', async () => {
    const controller = new AbortController()
    const deleted: string[] = []
    const stuck: SandboxBox = {
      id: 'stuck-1',
      streamPrompt: () => {
        setTimeout(() => controller.abort(), 0)
        return { [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<SandboxEvent>>(() => undefined) }) }
      },
      delete: async () => void deleted.push('stuck-1'),
    }
    const err = await runLoop({
      driver: createFanoutVoteDriver<string, number>({ n: 1 }),
      agentRun: spec,
      output: parse,
      validator,
      task: 'x',
      ctx: { sandboxClient: { create: async () => stuck }, signal: controller.signal },
    }).catch((e) => e)
    expect(err.name).toBe('AbortError')
    expect(deleted).toEqual(['stuck-1'])
  })

  it('rejects after the round when the validator sees the abort, without deciding', async () => {
    const controller = new AbortController()
    const sandboxClient = createScriptedSandboxClient()
    const err = await runLoop({
      driver: { plan: (t: string) => [t], decide: () => 'continue' },
      agentRun: spec,
      output: parse,
      validator: {
        validate: () => {
          controller.abort()
          return { valid: true, score: 1 }
        },
      },
      task: 'x',
      ctx: { sandboxClient, signal: controller.signal },
    }).catch((e) => e)
    expect(err.name).toBe('AbortError')
    expect(sandboxClient.created).toEqual(['scripted-0'])
    expect(sandboxClient.deleted).toEqual(['scripted-0'])
  })

  it('rejects at once for an already-aborted signal', async () => {
    const sandboxClient = createScriptedSandboxClient()
    const err = await runLoop({
      driver: createFanoutVoteDriver<string, number>({ n: 2 }),
      agentRun: spec,
      output: parse,
      validator,
      task: 'x',
      ctx: { sandboxClient, signal: AbortSignal.abort() },
    }).catch((e) => e)
    expect(err.name).toBe('AbortError')
    expect(sandboxClient.created).toEqual([])
  })

  it('adds one abort listener per loop, however many iterations are in flight, and removes it', async () => {
    const controller = new AbortController()
    const signal = controller.signal
    let added = 0
    let removed = 0
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++
      return add(...args)
    }) as typeof signal.addEventListener
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed++
      return remove(...args)
    }) as typeof signal.removeEventListener
    const result = await runLoop({
      driver: createFanoutVoteDriver<string, number>({ n: 12 }),
      agentRun: spec,
      output: parse,
      validator,
      task: 'x',
      ctx: { sandboxClient: createScriptedSandboxClient(), signal },
      maxConcurrency: 12,
      maxIterations: 12,
    })
    expect(result.iterations).toHaveLength(12)
    expect([added, removed]).toEqual([1, 1])
  })
})
