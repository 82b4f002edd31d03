import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { type LoopTraceEvent, ValidationError } from '@tangle-network/agent-runtime-core'
import {
  type CampaignScenario,
  type CampaignSpan,
  type CampaignUsageReport,
  createDynamicDriver,
  loopCampaignDispatch,
  loopDispatch,
} from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import { describe, expect, it } from 'vitest'

interface Scenario extends CampaignScenario {
  prompt: string
}
interface Profile {
  name: string
  backendType: string
}

const scenario: Scenario = { id: 'sc-1', prompt: 'fix bug' }
const profile: Profile = { name: 'claude', backendType: 'claude-code' }

function sandbox(delayMs = 0) {
  return createScriptedSandboxClient({
    delayMs,
    respond: (prompt) => [{ type: 'result', data: { finalText: `done: ${prompt}`, usage: { inputTokens: 40, outputTokens: 10, costUsd: 0.02 } } }],
  })
}

function toLoopOptions(s: Scenario, p: Profile) {
  return {
    driver: createDynamicDriver<string, string>({
      planner: ({ roundIndex, task }) => (roundIndex === 0 ? { kind: 'fanout' as const, tasks: [task, `${task} carefully`] } : { kind: 'stop' as const }),
    }),
    agentRun: { profile: { name: p.name, metadata: { backendType: p.backendType } }, taskToPrompt: (t: string) => t },
    output: { parse: (events: { data: Record<string, unknown> }[]) => String(events.at(-1)?.data.finalText) },
    validator: { validate: (out: string) => ({ valid: true, score: out.includes('carefully') ? 0.9 : 0.5 }) },
    task: s.prompt,
  }
}

function recordingSpan() {
  const events: { name: string; attributes?: Record<string, string | number | boolean>; time?: number }[] = []
  const attributes: Record<string, unknown> = {}
  const span: CampaignSpan = {
    addEvent: (name, attrs, time) => events.push({ name, attributes: attrs, time }),
    setAttribute: (k, v) => {
      attributes[k] = v
    },
  }
  return { span, events, attributes }
}

describe('loopDispatch', () => {
  it('runs a loop per cell, returns the winner output, reports usage and forwards loop events to the cell span', async () => {
    const client = sandbox()
    const usage: CampaignUsageReport[] = []
    const { span, events, attributes } = recordingSpan()
    const dispatch = loopDispatch({ sandboxClient: client, toLoopOptions })
    const artifact = await dispatch(profile, scenario, { signal: new AbortController().signal, reportUsage: (u) => usage.push(u), span, cellId: 'sc-1:0' })
    expect(artifact).toBe('done: fix bug carefully')
    expect(client.boxes.map((b) => b.createOptions?.backend?.type)).toEqual(['claude-code', 'claude-code'])
    expect(usage).toEqual([{ costUsd: 0.04, inputTokens: 80, outputTokens: 20, costSource: 'loop', durationMs: expect.any(Number), iterations: 2 }])
    const names = events.map((e) => e.name)
    expect(names[0]).toBe('loop.started')
    expect(names.at(-1)).toBe('loop.ended')
    expect([...names].sort()).toEqual(
      [
        'loop.decision',
        'loop.decision',
        'loop.ended',
        'loop.iteration.dispatch',
        'loop.iteration.dispatch',
        'loop.iteration.ended',
        'loop.iteration.ended',
        'loop.iteration.started',
        'loop.iteration.started',
        'loop.plan',
        'loop.plan',
        'loop.started',
      ],
    )
    expect(events[0].attributes).toMatchObject({ 'loop.driver': 'dynamic', 'loop.agentRunNames': 'claude' })
    const ended = events.filter((e) => e.name === 'loop.iteration.ended')
    expect(ended[0].attributes).toMatchObject({ 'loop.verdict.valid': true, 'loop.tokens.input': 40, 'loop.costUsd': 0.02 })
    expect(typeof events[0].time).toBe('number')
    expect(String(attributes['tangle.run.id'])).toMatch(/^loop-/)
  })

  it('honours toArtifact, costSource external, forwardTrace false and the caller’s own emitter', async () => {
    const usage: CampaignUsageReport[] = []
    const own: LoopTraceEvent[] = []
    const { span, events } = recordingSpan()
    const dispatch = loopDispatch({
      sandboxClient: sandbox(),
      toLoopOptions: (s: Scenario, p: Profile) => ({ ...toLoopOptions(s, p), ctx: { traceEmitter: { emit: (e) => void own.push(e) } } }),
      toArtifact: (result, cell) => ({ winner: result.winner?.iterationIndex, scenario: cell.scenario.id, iterations: result.iterations.length }),
      costSource: 'external',
      forwardTrace: false,
    })
    const artifact = await dispatch(profile, scenario, { signal: new AbortController().signal, reportUsage: (u) => usage.push(u), span })
    expect(artifact).toEqual({ winner: 1, scenario: 'sc-1', iterations: 2 })
    expect(usage[0]).toMatchObject({ costUsd: null, inputTokens: 80, outputTokens: 20, costSource: 'external' })
    expect(events).toEqual([])
    expect(own.at(-1)?.kind).toBe('loop.ended')
  })

  it('stops the loop when the campaign aborts, still reporting the usage spent so far', async () => {
    const client = sandbox(5)
    const usage: CampaignUsageReport[] = []
    const controller = new AbortController()
    const dispatch = loopDispatch({
      sandboxClient: client,
      toLoopOptions: (s: Scenario, p: Profile) => ({
        ...toLoopOptions(s, p),
        maxConcurrency: 1,
        ctx: {
          traceEmitter: {
            emit: (e) => {
              if (e.kind === 'loop.iteration.ended') controller.abort(new Error('campaign budget hit'))
            },
          },
        },
      }),
    })
    const err = await dispatch(profile, scenario, { signal: controller.signal, reportUsage: (u) => usage.push(u) }).catch((e: unknown) => e)
    expect((err as Error).name).toBe('AbortError')
    expect(client.created).toHaveLength(1)
    expect(usage).toEqual([{ costUsd: 0.02, inputTokens: 40, outputTokens: 10, costSource: 'loop', durationMs: expect.any(Number), iterations: 1 }])

    const before = sandbox()
    const aborted = new AbortController()
    aborted.abort()
    const early = await loopDispatch({ sandboxClient: before, toLoopOptions })(profile, scenario, { signal: aborted.signal, cellId: 'sc-1:3' }).catch((e: unknown) => e)
    expect((early as Error).name).toBe('AbortError')
    expect((early as Error).message).toBe('cell sc-1:3 aborted before its loop started')
    expect(before.created).toEqual([])
  })

  it('forwards loop events to a real OpenTelemetry span', async () => {
    const memory = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] })
    const cell = provider.getTracer('campaign').startSpan('cell sc-1:0')
    await loopDispatch({ sandboxClient: sandbox(), toLoopOptions })(profile, scenario, { signal: new AbortController().signal, span: cell })
    cell.end()
    const [finished] = memory.getFinishedSpans()
    expect(finished.events.map((e) => e.name)).toContain('loop.plan')
    expect(finished.events).toHaveLength(12)
    expect(finished.attributes['tangle.run.id']).toMatch(/^loop-/)
    await provider.shutdown()
  })

  it('validates its options and the dispatch context', async () => {
    expect(() => loopDispatch({ sandboxClient: {} as never, toLoopOptions })).toThrow(ValidationError)
    expect(() => loopDispatch({ sandboxClient: {} as never, toLoopOptions })).toThrow(/sandboxClient.create is required/)
    expect(() => loopDispatch({ sandboxClient: sandbox(), toLoopOptions: undefined as never })).toThrow(/toLoopOptions\(scenario, profile\) is required/)
    expect(() => loopDispatch({ sandboxClient: sandbox(), toLoopOptions, costSource: 'judge' as never })).toThrow(/costSource must be 'loop' or 'external', got "judge"/)
    const dispatch = loopDispatch({ sandboxClient: sandbox(), toLoopOptions })
    await expect(dispatch(profile, scenario, {} as never)).rejects.toThrow(/needs an AbortSignal `signal`/)
  })
})

describe('loopCampaignDispatch', () => {
  it('dispatches scenarios without a profile axis', async () => {
    const dispatch = loopCampaignDispatch({
      sandboxClient: sandbox(),
      toLoopOptions: (s: Scenario) => toLoopOptions(s, profile),
      toArtifact: (result, { scenario: s }) => `${s.id}:${result.winner?.output}`,
    })
    expect(await dispatch(scenario, { signal: new AbortController().signal })).toBe('sc-1:done: fix bug carefully')
  })
})
