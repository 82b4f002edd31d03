import {
  type AgentRuntimeEvent,
  BackendTransportError,
  type KnowledgeReadinessReport,
  type RuntimeStreamEvent,
  createRuntimeEventCollector,
  createRuntimeStreamEventCollector,
  encodeServerSentEvent,
  readinessServerSentEvent,
  runAgentTask,
  runAgentTaskStream,
  runtimeStreamServerSentEvent,
  sanitizeAgentRuntimeEvent,
  sanitizeKnowledgeReadinessReport,
  sanitizeRuntimeStreamEvent,
} from '@tangle-network/agent-runtime-core'
import { createScriptedBackend } from '@tangle-network/agent-runtime-core/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const SECRET = 'my card is 4111-1111'
const task = { id: 't1', intent: 'support', inputs: { userText: SECRET }, metadata: { tenant: 'acme' } }

async function streamEvents(fail = false): Promise<RuntimeStreamEvent[]> {
  const backend = createScriptedBackend({
    turns: [
      [
        { type: 'text_delta', text: `echo: ${SECRET}` },
        { type: 'reasoning_delta', text: SECRET },
        { type: 'tool_call', toolName: 'lookup', toolCallId: 'c1', args: { q: SECRET } },
        { type: 'tool_result', toolName: 'lookup', toolCallId: 'c1', result: { card: SECRET } },
        { type: 'llm_call', model: 'm', tokensIn: 10, tokensOut: 5, costUsd: 0.002 },
        { type: 'llm_call', model: 'm', tokensIn: 1, tokensOut: Number.NaN },
        { type: 'artifact', artifactId: 'a1', name: 'report', uri: 'file:///secret', content: SECRET, metadata: { k: SECRET } },
        { type: 'proposal_created', proposalId: 'p1', title: SECRET, content: SECRET },
      ],
    ],
    fail: fail ? { error: new BackendTransportError('scripted', 'upstream 500', { status: 500, body: `<html>${SECRET}</html>` }) } : undefined,
  })
  const out: RuntimeStreamEvent[] = []
  for await (const e of runAgentTaskStream({ task, backend, input: { task, message: SECRET } })) out.push(e)
  return out
}

describe('sanitizeRuntimeStreamEvent', () => {
  it('keeps no user text, tool payloads or error bodies by default, but keeps lengths and ids', async () => {
    const events = await streamEvents(true)
    const clean = events.map((e) => sanitizeRuntimeStreamEvent(e))
    const json = JSON.stringify(clean)
    expect(json).not.toContain('4111')
    expect(json).not.toContain('file:///secret')
    expect(json).not.toContain('acme')
    const delta = clean.find((e) => e.type === 'text_delta')!
    expect(delta).toMatchObject({ textLength: `echo: ${SECRET}`.length })
    expect(delta).not.toHaveProperty('text')
    expect(clean.find((e) => e.type === 'tool_call')).toMatchObject({ toolName: 'lookup', toolCallId: 'c1', hasArgs: true })
    expect(clean.find((e) => e.type === 'task_start')).toMatchObject({ task: { id: 't1', intent: 'support', inputs: '[redacted]', metadata: '[redacted]' } })
    const final = clean.at(-1)!
    expect(final).toMatchObject({
      type: 'final',
      status: 'failed',
      reason: 'upstream 500',
      textLength: `echo: ${SECRET}`.length,
      error: { kind: 'transport', status: 500, message: 'upstream 500', bodyLength: `<html>${SECRET}</html>`.length },
    })
    expect(final.error).not.toHaveProperty('body')
  })

  it('includes payloads only when asked', async () => {
    const events = await streamEvents(true)
    const opts = { includeControlPayloads: true, includeInputs: true, includeMetadata: true, includeEvidenceIds: true }
    const clean = events.map((e) => sanitizeRuntimeStreamEvent(e, opts))
    expect(clean.find((e) => e.type === 'text_delta')).toMatchObject({ text: `echo: ${SECRET}` })
    expect(clean.find((e) => e.type === 'tool_result')).toMatchObject({ result: { card: SECRET } })
    expect(clean.find((e) => e.type === 'artifact')).toMatchObject({ uri: 'file:///secret', content: SECRET, metadata: { k: SECRET } })
    expect(clean.at(-1)).toMatchObject({ text: `echo: ${SECRET}`, error: { body: `<html>${SECRET}</html>` } })
    expect(clean[0]).toMatchObject({ task: { inputs: { userText: SECRET }, metadata: { tenant: 'acme' } } })
  })

  it('redacts question texts and user answers in preflight events unless asked', () => {
    const ev: RuntimeStreamEvent = {
      type: 'questions_end',
      timestamp: 'x',
      questions: [{ id: 'q', requirementId: 'r', question: 'What is your SSN?' }],
      userAnswers: [{ questionId: 'q', answer: '123-45' }],
    }
    expect(sanitizeRuntimeStreamEvent(ev)).toEqual({
      type: 'questions_end',
      timestamp: 'x',
      questions: [{ id: 'q', requirementId: 'r' }],
      userAnswers: [{ questionId: 'q', answer: '[redacted]', answerLength: 6 }],
    })
    expect(sanitizeRuntimeStreamEvent(ev, { includeUserAnswers: true, includeRequirementDescriptions: true })).toMatchObject({
      questions: [{ question: 'What is your SSN?' }],
      userAnswers: [{ answer: '123-45' }],
    })
  })

  it('never shows the question or plan text of a secret requirement, even with includeRequirementDescriptions', async () => {
    const requirement = (id: string, sensitivity: 'public' | 'secret', description: string) => ({
      id,
      description,
      requiredFor: ['run'],
      category: 'credentials' as const,
      acquisitionMode: 'ask_user' as const,
      importance: 'blocking' as const,
      freshness: 'static',
      sensitivity,
      confidenceNeeded: 0.9,
      currentConfidence: 0,
      evidenceIds: [],
      fallbackPolicy: 'ask' as const,
    })
    const t = { id: 't-secret', intent: 'deploy', requiredKnowledge: [requirement('pw', 'secret', 'The prod password hunter2'), requirement('region', 'public', 'Which region?')] }
    const c = createRuntimeStreamEventCollector({ includeRequirementDescriptions: true })
    const knowledge = { answerQuestions: () => [], executeAcquisitionPlans: () => [] }
    for await (const e of runAgentTaskStream({ task: t as never, backend: createScriptedBackend({ turns: [[]] }), knowledge })) c.push(e)
    const json = JSON.stringify(c.events)
    expect(json).not.toContain('hunter2')
    expect(c.events.find((e) => e.type === 'questions_start')).toMatchObject({ questions: [{ requirementId: 'pw' }, { requirementId: 'region', question: 'Which region?' }] })
    expect(c.events.find((e) => e.type === 'acquisition_start')).toMatchObject({ acquisitionPlans: [{ requirementId: 'pw' }, { requirementId: 'region', description: 'Which region?' }] })
  })
})

const report: KnowledgeReadinessReport = {
  taskId: 't',
  readinessScore: 0.25,
  blockingMissingRequirements: [
    {
      id: 'pw',
      description: 'the admin password',
      requiredFor: ['login'],
      category: 'credentials_access',
      acquisitionMode: 'ask_user',
      importance: 'blocking',
      freshness: 'static',
      sensitivity: 'secret',
      confidenceNeeded: 1,
      currentConfidence: 0,
      evidenceIds: ['ev-secret'],
      fallbackPolicy: 'block',
    },
  ],
  nonBlockingGaps: [],
  recommendedAction: 'ask_user',
  severity: 'critical',
  reason: 'Missing blocking knowledge: pw.',
}

describe('sanitizeKnowledgeReadinessReport', () => {
  it('keeps scores and ids, never a secret requirement description', () => {
    const s = sanitizeKnowledgeReadinessReport(report, { includeRequirementDescriptions: true })
    expect(s).toMatchObject({ taskId: 't', readinessScore: 0.25, missingRequirementIds: ['pw'], severity: 'critical' })
    expect(JSON.stringify(s)).not.toContain('admin password')
    expect(JSON.stringify(s)).not.toContain('ev-secret')
    expect(s.blockingMissingRequirements[0]).toMatchObject({ evidenceCount: 1 })
  })
})

describe('collectors', () => {
  it('createRuntimeStreamEventCollector keeps sanitized events and sums usage', async () => {
    const c = createRuntimeStreamEventCollector()
    for (const e of await streamEvents()) c.push(e)
    const s = c.summary()
    expect(s).toMatchObject({ llmCalls: 2, tokensIn: 11, tokensOut: 5, costUsd: 0.002, toolCalls: 1, status: 'completed', textChars: `echo: ${SECRET}`.length })
    expect(s.countsByType.text_delta).toBe(1)
    expect(JSON.stringify(c.events)).not.toContain('4111')
    c.clear()
    expect(c.summary().eventCount).toBe(0)
    expect(c.events).toEqual([])
  })

  it('bounds memory with maxEvents while still counting', async () => {
    const c = createRuntimeStreamEventCollector({ maxEvents: 3 })
    const events = await streamEvents(true)
    for (const e of events) c.push(e)
    expect(c.events).toHaveLength(3)
    expect(c.summary()).toMatchObject({ eventCount: events.length, droppedEvents: events.length - 3, status: 'failed', error: { kind: 'transport', status: 500 } })
  })

  it('createRuntimeEventCollector records control events from runAgentTask', async () => {
    const c = createRuntimeEventCollector()
    let n = 0
    await runAgentTask({
      task,
      adapter: {
        observe: () => n,
        validate: ({ state: s }) => [{ id: 'two', passed: s >= 2, severity: 'error' }],
        decide: () => ({ type: 'continue', action: SECRET }),
        act: () => ++n,
      },
      onEvent: c.push,
    })
    expect(c.summary()).toMatchObject({ controlSteps: 2, status: 'completed' })
    const end = c.events.find((e) => e.type === 'control_end')
    expect(end).toMatchObject({ pass: true, steps: 2, stoppedBy: 'stop-policy' })
    expect(JSON.stringify(c.events)).not.toContain('4111')
  })

  it('sanitizeAgentRuntimeEvent passes stream events through the stream sanitizer', () => {
    const e: AgentRuntimeEvent = { type: 'control_step', timestamp: 'x', stepIndex: 0, decision: 'continue', ok: true }
    expect(sanitizeAgentRuntimeEvent(e)).toEqual({ type: 'control_step', timestamp: 'x', stepIndex: 0, decision: 'continue', ok: true })
    expect(sanitizeAgentRuntimeEvent({ type: 'text_delta', timestamp: 'x', text: 'abc' })).toEqual({ type: 'text_delta', timestamp: 'x', textLength: 3 })
  })
})

/** Minimal SSE frame parser (per the WHATWG rules we rely on) to check the encoder round-trips. */
function parseFrame(frame: string): { data: string; event?: string; id?: string; retry?: string } {
  expect(frame.endsWith('\n\n')).toBe(true)
  const out: { data: string[]; event?: string; id?: string; retry?: string } = { data: [] }
  for (const line of frame.slice(0, -2).split('\n')) {
    const i = line.indexOf(':')
    const field = line.slice(0, i)
    const value = line.slice(i + 1).replace(/^ /, '')
    if (field === 'data') out.data.push(value)
    else if (field === 'event' || field === 'id' || field === 'retry') out[field] = value
    else throw new Error(`unexpected field ${field}`)
  }
  return { ...out, data: out.data.join('\n') }
}

describe('SSE helpers', () => {
  it('encodes fields and splits multi-line data', () => {
    expect(encodeServerSentEvent('a\nb', { event: 'x', id: '7', retry: 1500.7 })).toBe('id: 7\nevent: x\nretry: 1500\ndata: a\ndata: b\n\n')
    expect(encodeServerSentEvent({ ok: true })).toBe('data: {"ok":true}\n\n')
    expect(encodeServerSentEvent('x', { retry: -1 })).toBe('data: x\n\n')
  })

  it('never lets data, event or id inject a field (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (data, event, id) => {
        const parsed = parseFrame(encodeServerSentEvent(data, { event, id }))
        expect(parsed.data).toBe(data.replace(/\r\n|\r/g, '\n'))
        if (event) expect(parsed.event).toBe(event.replace(/[\r\n]+/g, ' '))
        if (id) expect(parsed.id).toBe(id.replace(/[\r\n]+/g, ' '))
      }),
    )
  })

  it('runtimeStreamServerSentEvent sanitizes and names the frame after the event type', () => {
    const frame = runtimeStreamServerSentEvent({ type: 'text_delta', timestamp: 't', text: SECRET }, { id: '3' })
    expect(frame).toBe('id: 3\nevent: text_delta\ndata: {"type":"text_delta","timestamp":"t","textLength":20}\n\n')
  })

  it('readinessServerSentEvent wraps the sanitized report', () => {
    const parsed = parseFrame(readinessServerSentEvent(report, { event: 'readiness' }))
    expect(parsed.event).toBe('readiness')
    expect(JSON.parse(parsed.data)).toMatchObject({ type: 'readiness', readiness: { taskId: 't', missingRequirementIds: ['pw'] } })
  })
})
