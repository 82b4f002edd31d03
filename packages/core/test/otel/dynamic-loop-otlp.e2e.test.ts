/**
 * End to end: a dynamic loop over the embedded local sandbox, planned by a
 * scripted planning agent that itself runs in a local box, exports its span
 * tree through the real OTLP/HTTP exporter to a live loopback receiver, which
 * decodes the request and checks it against the OTLP/JSON mapping.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { context, trace } from '@opentelemetry/api'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { type LoopTraceEvent, createPropagatingTraceEmitter } from '@tangle-network/agent-runtime-core'
import { createOtelExporter } from '@tangle-network/agent-runtime-core/node'
import { createDynamicDriver, createSandboxPlanner, renderLoopTrace, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { type LocalSandboxClient, createLocalSandboxClient, scriptedHarness, usageEvent } from '@tangle-network/agent-runtime-sandbox-local'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.js'

const TRACE = '0af7651916cd43dd8448eb211c80319c'
const PARENT = 'b7ad6b7169203331'

let root: string
let sandbox: LocalSandboxClient
let receiver: OtlpReceiver | undefined

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'otel-e2e-'))
  sandbox = createLocalSandboxClient({
    root,
    harnesses: {
      // The worker writes its answer into the box and reports usage.
      worker: scriptedHarness(async ({ prompt, files }) => {
        await files.write('answer.txt', `${prompt}\n`)
        return [`wrote ${prompt}`, usageEvent({ inputTokens: 100, outputTokens: 25, costUsd: 0.001 })]
      }),
      // The planner answers with a topology envelope chosen from the budget line of its prompt.
      planner: scriptedHarness(({ prompt }) => {
        const spent = Number(/Iterations spent: (\d+)\./.exec(prompt)?.[1])
        const envelope =
          spent === 0
            ? { kind: 'refine', tasks: ['draft'], rationale: 'start with a draft' }
            : spent === 1
              ? { kind: 'fanout', tasks: ['variant-a', 'variant-b'], rationale: 'try two variants', parentIndex: 0 }
              : { kind: 'stop', rationale: 'variant-b passes' }
        return `Plan:\n\`\`\`json\n${JSON.stringify(envelope)}\n\`\`\`\n`
      }),
    },
  })
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

afterEach(async () => {
  await receiver?.close()
  receiver = undefined
  trace.disable()
  context.disable()
})

const SCORES: Record<string, number> = { draft: 0.3, 'variant-a': 0.6, 'variant-b': 0.9 }

function loopOptions(traceEmitter: ReturnType<typeof createPropagatingTraceEmitter>) {
  const planner = createSandboxPlanner<string, string>({
    client: sandbox,
    profile: { name: 'planner', metadata: { backendType: 'planner' } },
    decodeTask: (raw) => {
      if (typeof raw !== 'string') throw new Error('tasks are strings')
      return raw
    },
  })
  return {
    driver: createDynamicDriver<string, string>({ planner, maxIterations: 6 }),
    agentRun: { profile: { name: 'worker', metadata: { backendType: 'worker' } }, taskToPrompt: (t: string) => t },
    output: { parse: (_events: unknown, ctx?: { box?: { read?(p: string): Promise<string> } }) => ctx?.box?.read?.('answer.txt') ?? '' },
    // The checker reads the real file in the still-alive box.
    validator: {
      validate: async (out: string) => {
        const answer = out.trim()
        return { valid: SCORES[answer] >= 0.5, score: SCORES[answer] ?? 0 }
      },
    },
    task: 'improve the answer',
    ctx: { sandboxClient: sandbox, traceEmitter },
  }
}

const byName = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name)

describe('dynamic loop → OTLP receiver', () => {
  it('exports a correct span tree to a live OTLP endpoint', async () => {
    receiver = await startOtlpReceiver()
    const exporter = createOtelExporter({ endpoint: receiver.endpoint, env: {}, serviceName: 'otel-e2e' })
    const collected: LoopTraceEvent[] = []
    const traceEmitter = createPropagatingTraceEmitter({
      exporter,
      env: { TRACEPARENT: `00-${TRACE}-${PARENT}-01` },
      forward: { emit: (e) => void collected.push(e) },
    })
    const result = await runLoop(loopOptions(traceEmitter))
    expect(result.iterations.map((it) => it.task)).toEqual(['draft', 'variant-a', 'variant-b'])
    expect(result.winner?.iterationIndex).toBe(2)

    const spans = await receiver.waitForSpans(7)
    await traceEmitter.flush()
    expect(receiver.rejected).toEqual([])
    expect(spans.map((s) => s.name).sort()).toEqual(['loop', 'loop.iteration', 'loop.iteration', 'loop.iteration', 'loop.round', 'loop.round', 'loop.round'])
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([TRACE]))
    expect(spans.every((s) => s.resource['service.name'] === 'otel-e2e' && s.kind === 1)).toBe(true)

    // Parentage: traceparent → loop → rounds → iterations.
    const [loop] = byName(spans, 'loop')
    const rounds = byName(spans, 'loop.round').sort((a, b) => Number(a.attributes['tangle.loop.round.index']) - Number(b.attributes['tangle.loop.round.index']))
    const iterations = byName(spans, 'loop.iteration').sort(
      (a, b) => Number(a.attributes['tangle.loop.iteration.index']) - Number(b.attributes['tangle.loop.iteration.index']),
    )
    expect(loop.parentSpanId).toBe(PARENT)
    expect(rounds.map((r) => r.parentSpanId)).toEqual([loop.spanId, loop.spanId, loop.spanId])
    expect(iterations.map((i) => i.parentSpanId)).toEqual([rounds[0].spanId, rounds[1].spanId, rounds[1].spanId])

    // Durations: real, nested time ranges, each exactly the span between the kernel's own events.
    const at = (kind: LoopTraceEvent['kind'], match: (p: Record<string, unknown>) => boolean = () => true) => {
      const event = collected.find((e) => e.kind === kind && match(e.payload as unknown as Record<string, unknown>))
      if (!event) throw new Error(`no ${kind} event`)
      return BigInt(event.timestamp) * 1_000_000n
    }
    expect([loop.startNs, loop.endNs]).toEqual([at('loop.started'), at('loop.ended')])
    expect(loop.endNs - loop.startNs).toBeGreaterThan(0n)
    for (const [r, round] of rounds.entries()) {
      expect([round.startNs, round.endNs]).toEqual([at('loop.plan', (p) => p.roundIndex === r), at('loop.decision', (p) => p.roundIndex === r)])
    }
    for (const [i, it] of iterations.entries()) {
      const mine = (p: Record<string, unknown>) => p.iterationIndex === i
      expect([it.startNs, it.endNs]).toEqual([at('loop.iteration.started', mine), at('loop.iteration.ended', mine)])
      expect(it.attributes['tangle.loop.iteration.duration_ms']).toBe(result.iterations[i].endedAt - result.iterations[i].startedAt)
    }
    for (const s of [...rounds, ...iterations]) {
      expect(s.startNs >= loop.startNs && s.endNs <= loop.endNs).toBe(true)
    }
    for (const [i, r] of [
      [0, 0],
      [1, 1],
      [2, 1],
    ]) {
      expect(iterations[i].startNs >= rounds[r].startNs && iterations[i].endNs <= rounds[r].endNs).toBe(true)
    }

    // Attribute values.
    expect(loop.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_workflow',
      'gen_ai.conversation.id': result.runId,
      'tangle.run.id': result.runId,
      'tangle.loop.driver': 'dynamic',
      'tangle.loop.agents': 'worker',
      'tangle.loop.winner.iteration_index': 2,
      'tangle.loop.iterations': 3,
      'tangle.loop.decision': 'done',
    })
    expect(loop.attributes['tangle.cost.usd']).toBeCloseTo(0.003, 10)
    expect(rounds.map((r) => [r.attributes['tangle.loop.move.kind'], r.attributes['tangle.loop.move.rationale'], r.attributes['tangle.loop.move.width']])).toEqual([
      ['refine', 'start with a draft', 1],
      ['fanout', 'try two variants', 2],
      ['stop', 'variant-b passes', 0],
    ])
    expect(rounds[1].attributes).toMatchObject({ 'tangle.loop.move.child_indices': '1,2', 'tangle.loop.move.parent_index': 0, 'gen_ai.operation.name': 'invoke_workflow' })
    expect(rounds[2].attributes['tangle.loop.decision']).toBe('done')
    expect(iterations.map((i) => [i.attributes['tangle.loop.verdict.valid'], i.attributes['tangle.loop.verdict.score']])).toEqual([
      [false, 0.3],
      [true, 0.6],
      [true, 0.9],
    ])
    for (const [i, it] of iterations.entries()) {
      expect(it.attributes).toMatchObject({
        'gen_ai.operation.name': 'invoke_agent',
        'gen_ai.agent.name': 'worker',
        'gen_ai.usage.input_tokens': 100,
        'gen_ai.usage.output_tokens': 25,
        'tangle.cost.usd': 0.001,
        'tangle.loop.placement.kind': 'sibling',
        'tangle.sandbox.id': result.iterations[i].placement?.sandboxId,
      })
      expect(it.status.code).toBe(1)
    }
    expect(iterations[1].attributes['tangle.loop.iteration.parent_index']).toBe(0)

    // The tree prints for humans too.
    const printed = renderLoopTrace(collected)
    expect(printed).toContain('├─ round 1 · fanout ×2 · from #0 · "try two variants"')
    expect(printed).toContain('★ winner')
  })

  it('joins the active span of an application OpenTelemetry SDK', async () => {
    receiver = await startOtlpReceiver()
    const memory = new InMemorySpanExporter()
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] })
    provider.register()
    const exporter = createOtelExporter({ endpoint: receiver.endpoint, env: {} })
    const traceEmitter = createPropagatingTraceEmitter({ exporter, env: {} })
    const app = await trace.getTracer('app').startActiveSpan('POST /jobs', async (span) => {
      await runLoop(loopOptions(traceEmitter))
      span.end()
      return span.spanContext()
    })
    const spans = await receiver.waitForSpans(7)
    const [loop] = byName(spans, 'loop')
    expect(loop.traceId).toBe(app.traceId)
    expect(loop.parentSpanId).toBe(app.spanId)
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([app.traceId]))
    expect(memory.getFinishedSpans().map((s) => s.name)).toEqual(['POST /jobs'])
    await provider.shutdown()
  })

  it('never breaks the loop when the OTLP receiver is down', async () => {
    const server = createServer()
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    await new Promise<void>((r) => server.close(() => r()))
    const errors: unknown[] = []
    const exporter = createOtelExporter({ endpoint: `http://127.0.0.1:${port}`, env: {}, timeoutMs: 200, onError: (e) => errors.push(e) })
    const traceEmitter = createPropagatingTraceEmitter({ exporter, env: {} })
    const result = await runLoop(loopOptions(traceEmitter))
    expect(result.winner?.iterationIndex).toBe(2)
    expect(result.decision).toBe('done')
    await traceEmitter.flush()
    expect(errors.length).toBeGreaterThanOrEqual(1)
    await expect(exporter?.shutdown()).resolves.toBeUndefined()
  })
})
