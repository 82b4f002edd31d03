/**
 * A dynamic loop whose topology a planning agent chooses, exported as an
 * OpenTelemetry GenAI span tree (loop → loop.round → loop.iteration).
 *
 * With OTEL_EXPORTER_OTLP_ENDPOINT set (Jaeger, Phoenix, Langfuse, Tempo, an
 * OTel collector), spans go there. Without it, the example starts a tiny
 * local OTLP receiver and prints what it received.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type LoopTraceEvent, createOtelExporter, createPropagatingTraceEmitter } from '@tangle-network/agent-runtime'
import { createDynamicDriver, createSandboxPlanner, renderLoopTrace, runLoop } from '@tangle-network/agent-runtime/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime/testing'

// One scripted sandbox plays both roles: the planning agent answers with a
// topology envelope, the worker "patches" whatever task it is given.
const sandbox = createScriptedSandboxClient({
  respond: (prompt) => {
    if (prompt.includes('You plan the topology')) {
      const spent = Number(/Iterations spent: (\d+)\./.exec(prompt)?.[1] ?? 0)
      const move =
        spent === 0
          ? { kind: 'refine', tasks: ['draft'], rationale: 'start with one cheap draft' }
          : spent === 1
            ? { kind: 'fanout', tasks: ['variant-a', 'variant-b'], rationale: 'draft failed review; try two fixes in parallel', parentIndex: 0 }
            : { kind: 'stop', rationale: 'variant-b passes with the best score' }
      return [{ type: 'result', data: { finalText: `\`\`\`json\n${JSON.stringify(move)}\n\`\`\`` } }]
    }
    return [{ type: 'result', data: { finalText: prompt, usage: { inputTokens: 420, outputTokens: 96, costUsd: 0.0012 } } }]
  },
})

const SCORES: Record<string, number> = { draft: 0.3, 'variant-a': 0.6, 'variant-b': 0.9 }

/** The local stand-in for a trace viewer: an OTLP/HTTP JSON endpoint that remembers span names. */
async function startLocalReceiver() {
  const received: { name: string; spanId: string; parentSpanId?: string }[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => {
      const request = JSON.parse(body) as { resourceSpans?: { scopeSpans: { spans?: { name: string; spanId: string; parentSpanId?: string }[] }[] }[] }
      for (const rs of request.resourceSpans ?? []) for (const ss of rs.scopeSpans) for (const s of ss.spans ?? []) received.push(s)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { endpoint: `http://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

const local = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? undefined : await startLocalReceiver()
const exporter = createOtelExporter({ endpoint: local?.endpoint, serviceName: 'with-intelligence-export', onError: (err) => console.error('OTLP export failed:', err) })

const events: LoopTraceEvent[] = []
const traceEmitter = createPropagatingTraceEmitter({ exporter, forward: { emit: (e) => void events.push(e) } })

const planner = createSandboxPlanner<string, string>({
  client: sandbox,
  profile: { name: 'planner', metadata: { backendType: 'claude-code' } },
  decodeTask: (raw) => String(raw),
})

const result = await runLoop({
  driver: createDynamicDriver<string, string>({ planner, maxIterations: 6 }),
  agentRuns: [
    { name: 'claude', profile: { name: 'claude', metadata: { backendType: 'claude-code' } }, taskToPrompt: (t: string) => t },
    { name: 'codex', profile: { name: 'codex', metadata: { backendType: 'codex' } }, taskToPrompt: (t: string) => t },
  ],
  output: { parse: (evs) => String(evs.at(-1)?.data.finalText ?? '') },
  validator: { validate: (out: string) => ({ valid: (SCORES[out] ?? 0) >= 0.5, score: SCORES[out] ?? 0 }) },
  task: 'fix the flaky retry test',
  ctx: { sandboxClient: sandbox, traceEmitter },
})

await traceEmitter.flush()
await exporter?.shutdown()

console.log(renderLoopTrace(events, { color: process.stdout.isTTY === true }))
console.log('')
console.log(`winner: #${result.winner?.iterationIndex} (${result.winner?.output}) · ${result.iterations.length} iterations · sandboxes deleted: ${sandbox.deleted.length}/${sandbox.created.length}`)
console.log(`exported to ${exporter?.url}`)
if (local) {
  const spans = local.received
  const ids = new Set(spans.map((s) => s.spanId))
  const print = (parent: string | undefined, indent: string): void => {
    for (const s of spans.filter((x) => (parent === undefined ? !x.parentSpanId || !ids.has(x.parentSpanId) : x.parentSpanId === parent))) {
      console.log(`${indent}${s.name}`)
      print(s.spanId, `${indent}  `)
    }
  }
  console.log(`local receiver got ${spans.length} spans:`)
  print(undefined, '  ')
  await local.close()
}
