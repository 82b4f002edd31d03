import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { betterSqlite3ToSqlAdapter, createOpenAICompatibleBackend } from '@tangle-network/agent-runtime'
import { createSqlTraceStore, type NewTraceEvent, type TraceStore } from '@tangle-network/agent-runtime/agent'
import { createAnalystRegistry, createFailureClusterAnalyst, createModelAnalyst, runAnalystLoop } from '@tangle-network/agent-runtime/analyst-loop'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

async function run(traces: TraceStore, runId: string, events: NewTraceEvent[], end: { status: 'completed' | 'failed'; costUsd?: number; error?: string }, t: number) {
  await traces.beginRun({ runId, agentId: 'support', startedAt: t })
  await traces.append(runId, events)
  await traces.endRun(runId, { endedAt: t + 1, ...end })
}

async function seeded(): Promise<TraceStore> {
  const traces = createSqlTraceStore(betterSqlite3ToSqlAdapter(new Database(':memory:')))
  await traces.migrate()
  const iter = (ms: number): NewTraceEvent => ({ kind: 'loop', type: 'loop.iteration.end', timestamp: 1, payload: { durationMs: ms } })
  await run(traces, 'r1', [iter(100), { kind: 'task', type: 'tool_result', timestamp: 1, payload: { toolName: 'search', isError: true, result: 'HTTP 500' } }], { status: 'completed', costUsd: 0.01 }, 1)
  await run(traces, 'r2', [iter(110), { kind: 'task', type: 'backend_error', timestamp: 1, payload: { message: 'TimeoutError: upstream took 30s' } }], { status: 'failed', costUsd: 0.012 }, 2)
  await run(traces, 'r3', [iter(90), { kind: 'task', type: 'backend_error', timestamp: 1, payload: { errorClass: 'TimeoutError', message: 'again' } }], { status: 'failed', costUsd: 0.011 }, 3)
  await run(traces, 'r4', [iter(2000), { kind: 'task', type: 'tool_result', timestamp: 1, payload: { toolName: 'search', result: { error: 'quota' } } }], { status: 'completed', costUsd: 0.2 }, 4)
  await run(traces, 'r5', [iter(105)], { status: 'failed', error: 'RangeError: index 7 out of range', costUsd: 0.01 }, 5)
  await run(traces, 'r6', [iter(95), { kind: 'task', type: 'tool_result', timestamp: 1, payload: { toolName: 'calendar', result: 'ok' } }], { status: 'completed', costUsd: 0.013 }, 6)
  return traces
}

describe('failure-cluster analyst (deterministic)', () => {
  it('clusters error classes, tool failures, cost outliers and slow iterations from real traces', async () => {
    const traces = await seeded()
    const findings = await createFailureClusterAnalyst().analyze({ traces }, { runId: 'audit', priorFindings: undefined })
    expect(findings.map((f) => [f.area, f.severity, f.confidence])).toEqual([
      ['error:RangeError', 'low', 0.583],
      ['error:TimeoutError', 'medium', 0.667],
      ['tool:search', 'medium', 0.667],
      ['cost', 'medium', 0.767],
      ['latency', 'low', 0.717],
    ])
    const timeout = findings.find((f) => f.area === 'error:TimeoutError')!
    expect(timeout.claim).toBe('2 of 6 runs hit TimeoutError (e.g. "TimeoutError: upstream took 30s")')
    expect(timeout.evidence_refs).toEqual([
      { kind: 'event', uri: 'trace://r2#1' },
      { kind: 'event', uri: 'trace://r3#1' },
    ])
    expect(findings.find((f) => f.area === 'cost')!.evidence_refs).toEqual([{ kind: 'run', uri: 'trace://r4' }])
    expect(findings.find((f) => f.area === 'latency')!.evidence_refs).toEqual([{ kind: 'event', uri: 'trace://r4#0' }])
    // Ids are stable: a re-run over the same traces gives the same ids.
    const again = await createFailureClusterAnalyst().analyze({ traces }, { runId: 'audit-2', priorFindings: undefined })
    expect(again.map((f) => f.finding_id)).toEqual(findings.map((f) => f.finding_id))
  })

  it('respects minRuns and returns nothing for no runs', async () => {
    const traces = await seeded()
    const findings = await createFailureClusterAnalyst({ minRuns: 2 }).analyze({ traces, runIds: ['r1', 'r2', 'r3', 'r4'] }, { runId: 'a', priorFindings: undefined })
    expect(findings.map((f) => f.area)).toEqual(['error:TimeoutError', 'tool:search', 'cost', 'latency'])
    expect(await createFailureClusterAnalyst().analyze({ traces, agentId: 'nobody' }, { runId: 'a', priorFindings: undefined })).toEqual([])
  })
})

const GOOD = JSON.stringify({
  findings: [
    { severity: 'high', area: 'knowledge', claim: 'users ask about the refund window', confidence: 0.92, recommended_action: 'Refunds are accepted within 30 days.', subject: 'refunds', evidence_run_ids: ['r1', 'nope'] },
  ],
})

describe('model analyst', () => {
  it('reads zod-validated structured findings from a scripted backend', async () => {
    const traces = await seeded()
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: `Here you go:\n\`\`\`json\n${GOOD}\n\`\`\`` }]] })
    const findings = await createModelAnalyst({ backend, model: 'm' }).analyze({ traces, runIds: ['r1'] }, { runId: 'a', priorFindings: [] })
    expect(findings).toEqual([
      {
        finding_id: expect.stringMatching(/^f_/),
        analyst_id: 'model-analyst',
        severity: 'high',
        area: 'knowledge',
        claim: 'users ask about the refund window',
        confidence: 0.92,
        recommended_action: 'Refunds are accepted within 30 days.',
        subject: 'refunds',
        evidence_refs: [{ kind: 'run', uri: 'trace://r1' }],
      },
    ])
    const prompt = backend.calls[0]!.messages!
    expect(prompt[0]!.role).toBe('system')
    expect(JSON.parse(prompt[1]!.content).runs[0]).toMatchObject({ runId: 'r1', status: 'completed' })
  })

  it('records malformed output (bad JSON, wrong shape, out-of-range confidence) as analyst errors, not crashes', async () => {
    const traces = await seeded()
    const replies = ['not json at all', '{"findings": [{"severity": "high"}]}', JSON.stringify({ findings: [{ severity: 'low', area: 'x', claim: 'y', confidence: 1.5 }] })]
    for (const reply of replies) {
      const analyst = createModelAnalyst({ backend: createScriptedBackend({ turns: [[{ type: 'text_delta', text: reply }]] }), model: 'm' })
      const result = await runAnalystLoop({ runId: 'a', registry: createAnalystRegistry([analyst, createFailureClusterAnalyst()]), inputs: { traces }, findingsStore: null })
      expect(result.analystResult.errors).toEqual([{ analyst_id: 'model-analyst', message: expect.stringContaining('malformed findings'), raw: reply }])
      expect(result.analystResult.findings.length).toBeGreaterThan(0)
    }
  })

  describe('over the OpenAI-compatible backend on loopback HTTP', () => {
    let url = ''
    const bodies: any[] = []
    const server = createServer((req, res) => {
      let raw = ''
      req.on('data', (c) => (raw += c))
      req.on('end', () => {
        bodies.push(JSON.parse(raw))
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        const half = Math.floor(GOOD.length / 2)
        for (const piece of [GOOD.slice(0, half), GOOD.slice(half)]) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`)
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: 5 } })}\n\n`)
        res.end('data: [DONE]\n\n')
      })
    })
    beforeAll(async () => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
    })
    afterAll(() => new Promise<void>((r) => server.close(() => r())))

    it('parses the streamed reply into findings', async () => {
      const traces = await seeded()
      const backend = createOpenAICompatibleBackend({ baseUrl: url, apiKey: 'test', model: 'gpt-4o-mini' })
      const findings = await createModelAnalyst({ backend, model: 'gpt-4o-mini' }).analyze({ traces }, { runId: 'a', priorFindings: undefined })
      expect(findings.map((f) => [f.area, f.confidence, f.subject])).toEqual([['knowledge', 0.92, 'refunds']])
      expect(bodies[0]).toMatchObject({ model: 'gpt-4o-mini', stream: true })
      expect(bodies[0].messages[0].content).toContain('trace analyst')
    })
  })
})

describe('registry selection and analyst budget', () => {
  it('keeps only the agent\'s analystKinds and rejects unknown ones', async () => {
    const traces = await seeded()
    const model = createModelAnalyst({ backend: createScriptedBackend({ turns: [[{ type: 'text_delta', text: GOOD }]] }), model: 'm' })
    const registry = createAnalystRegistry([createFailureClusterAnalyst(), model], { only: ['model-analyst'] })
    expect(registry.list().map((a) => a.id)).toEqual(['model-analyst'])
    const result = await registry.run({ traces }, { runId: 'a' })
    expect(result.findings.map((f) => f.analyst_id)).toEqual(['model-analyst'])
    expect(() => createAnalystRegistry([model], { only: ['failure-clusters'] })).toThrow(/only names unknown analyst\(s\) failure-clusters \(available: model-analyst\)/)
  })

  it('stops calling the model once its budget is spent, recorded as an analyst error', async () => {
    const traces = await seeded()
    const backend = createScriptedBackend({ turns: () => [{ type: 'text_delta', text: GOOD }, { type: 'llm_call', model: 'm', costUsd: 0.03 }] })
    const registry = createAnalystRegistry([createModelAnalyst({ backend, model: 'm', budgetUsd: 0.05 })])
    const runs = []
    for (const runId of ['a1', 'a2', 'a3']) runs.push(await registry.run({ traces }, { runId }))
    expect(runs.map((r) => r.errors.length)).toEqual([0, 0, 1])
    expect(runs[2]!.errors[0]!.message).toContain('has spent $0.0600 of its $0.05 budget')
    expect(backend.calls).toHaveLength(2)
  })
})
