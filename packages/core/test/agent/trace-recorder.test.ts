import { runAgentTaskStream } from '@tangle-network/agent-runtime'
import { type AgentEvent, createMemoryTraceStore, createTraceRecorder, loopEventsToEmitter } from '@tangle-network/agent-runtime/agent'
import { createRefineDriver, runLoop } from '@tangle-network/agent-runtime/loops'
import { createScriptedBackend, createScriptedSandboxClient } from '@tangle-network/agent-runtime/testing'
import { describe, expect, it } from 'vitest'

describe('createTraceRecorder', () => {
  it('captures real task, chat and loop events of one run, in arrival order', async () => {
    const traces = createMemoryTraceStore()
    await traces.beginRun({ runId: 'r', agentId: 'a', startedAt: 0 })
    const rec = createTraceRecorder(traces, 'r', { clock: () => 42 })
    const task = { id: 't', intent: 'greeting' }
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'hello' }, { type: 'llm_call', model: 'm', costUsd: 0.001 }]] })
    for await (const e of runAgentTaskStream({ task, backend, input: { task, message: 'hi' } })) await rec.task(e)
    await rec.chat({ type: 'session.run.delta', data: { text: 'hello' } })
    await runLoop({
      driver: createRefineDriver({ maxIterations: 1 }),
      agentRun: { profile: { name: 'coder' }, taskToPrompt: (t: string) => t },
      output: { parse: (events) => events.length },
      validator: { validate: (n: number) => ({ valid: n > 0, score: 1 }) },
      task: 'say hi',
      ctx: { sandboxClient: createScriptedSandboxClient(), traceEmitter: rec.loop },
    })
    await rec.flush()
    const events = await traces.events('r')
    const kinds = events.map((e) => `${e.kind}:${e.type}`)
    expect(kinds[0]).toBe('task:task_start')
    expect(kinds).toEqual(expect.arrayContaining(['task:text_delta', 'task:llm_call', 'task:final', 'chat:session.run.delta', 'loop:loop.started', 'loop:loop.iteration.ended', 'loop:loop.ended']))
    expect(kinds.indexOf('task:final')).toBeLessThan(kinds.indexOf('chat:session.run.delta'))
    expect(kinds.indexOf('chat:session.run.delta')).toBeLessThan(kinds.indexOf('loop:loop.started'))
    expect(events.find((e) => e.type === 'llm_call')?.payload).toMatchObject({ model: 'm', costUsd: 0.001 })
    expect(events.find((e) => e.type === 'llm_call')?.payload).not.toHaveProperty('task')
    expect(events.find((e) => e.kind === 'chat')).toMatchObject({ timestamp: 42, payload: { text: 'hello' } })
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i))
  })

  it('surfaces a write error from flush(), never from the loop sink', async () => {
    const rec = createTraceRecorder(createMemoryTraceStore(), 'ghost')
    rec.loop.emit({ kind: 'loop.ended', runId: 'x', timestamp: 1, payload: {} as never })
    await expect(rec.flush()).rejects.toMatchObject({ code: 'not_found' })
  })

  it('loopEventsToEmitter forwards loop events into an agent emitter', () => {
    const got: AgentEvent[] = []
    loopEventsToEmitter({ emit: (e) => got.push(e) }).emit({ kind: 'loop.decision', runId: 'x', timestamp: 1, payload: { decision: 'stop' } as never })
    expect(got).toEqual([{ kind: 'loop', type: 'loop.decision', payload: { decision: 'stop' } }])
  })
})
