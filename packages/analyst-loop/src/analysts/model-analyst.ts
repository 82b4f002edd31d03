import { type AgentExecutionBackend, BackendTransportError, isoNow, type Clock, systemClock } from '@tangle-network/agent-runtime-core'
import { z } from 'zod'
import { findingId } from '../diff.js'
import { AnalystOutputError } from '../registry.js'
import type { Analyst, AnalystFinding } from '../types.js'
import { loadRuns, type TraceAnalystInput } from './trace-input.js'

/** Options of {@link createModelAnalyst}. @experimental */
export interface ModelAnalystOptions {
  /** Any backend: OpenAI-compatible, sandbox, scripted. */
  backend: AgentExecutionBackend
  model: string
  /** Analyst id. Default `model-analyst`. */
  id?: string
  /** Extra instructions appended to the system prompt (the agent's domain, what matters). */
  instructions?: string
  /** Spend cap across this analyst's calls (e.g. `agent.analyst.budgetUsd`): once reached, further runs fail as analyst errors. */
  budgetUsd?: number
  /** Most events per run included in the prompt. Default 40. */
  maxEventsPerRun?: number
  clock?: Clock
}

const modelFinding = z.object({
  severity: z.enum(['info', 'low', 'medium', 'high', 'critical']),
  area: z.string().min(1),
  claim: z.string().min(1),
  confidence: z.number().min(0).max(1),
  recommended_action: z.string().optional(),
  subject: z.string().optional(),
  evidence_run_ids: z.array(z.string()).optional(),
})

const modelOutput = z.object({ findings: z.array(modelFinding) })

const SYSTEM = [
  'You are a trace analyst for an AI agent. You read summaries of its runs and report recurring problems as findings.',
  'Answer with one JSON object and nothing else: {"findings": [{"severity": "info|low|medium|high|critical", "area": string, "claim": string,',
  '"confidence": number in [0,1], "recommended_action"?: string, "subject"?: string, "evidence_run_ids"?: string[]}]}.',
  'Use area "knowledge" for a missing or wrong fact (subject: a short file name, recommended_action: the fact to add),',
  'area "prompt" for a behaviour the system prompt should change (recommended_action: the rule to add). Only claim what the runs show.',
].join(' ')

/** Pulls the JSON object out of a model reply (bare, or inside a fenced block). */
function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text)
  const body = fenced ? fenced[1]! : text
  const start = body.indexOf('{')
  const end = body.lastIndexOf('}')
  if (start === -1 || end < start) throw new Error('no JSON object in the reply')
  return JSON.parse(body.slice(start, end + 1))
}

/**
 * The model-driven analyst: summarises the runs' traces for a model over any
 * backend and reads back structured findings, validated with zod. Malformed
 * output throws {@link AnalystOutputError}, which the registry records as an
 * analyst error (with the raw reply) instead of crashing the loop.
 * @experimental
 * @example
 * const analyst = createModelAnalyst({ backend: createOpenAICompatibleBackend({ model: 'gpt-4o-mini' }), model: 'gpt-4o-mini' })
 */
export function createModelAnalyst(options: ModelAnalystOptions): Analyst<TraceAnalystInput> {
  const id = options.id ?? 'model-analyst'
  const clock = options.clock ?? systemClock
  const maxEvents = options.maxEventsPerRun ?? 40
  let spentUsd = 0
  return {
    id,
    description: `Model-driven trace analysis with ${options.model}.`,
    inputKind: 'trace-store',
    cost: { kind: 'llm' },
    version: '1',
    async analyze(input, ctx) {
      if (options.budgetUsd !== undefined && spentUsd >= options.budgetUsd) {
        throw new Error(`model analyst '${id}' has spent $${spentUsd.toFixed(4)} of its $${options.budgetUsd} budget; raise analyst.budgetUsd to run it again`)
      }
      const loaded = await loadRuns(input)
      const summary = loaded.map(({ run, events }) => ({
        runId: run.runId,
        persona: run.personaId,
        status: run.status,
        error: run.error,
        composite: run.composite,
        scores: run.scores,
        output: typeof run.output === 'string' ? run.output.slice(0, 500) : run.output,
        events: events.slice(0, maxEvents).map((e) => ({ kind: e.kind, type: e.type, payload: e.payload })),
      }))
      const prior = Array.isArray(ctx.priorFindings) ? ctx.priorFindings : (ctx.priorFindings?.[id] ?? ctx.priorFindings?.['*'] ?? [])
      const user = JSON.stringify({ runs: summary, priorFindings: prior.map((f) => ({ area: f.area, claim: f.claim })) })
      const task = { id: `${ctx.runId}:${id}`, intent: 'analyst-loop.model-analyst' }
      const now = isoNow(clock)
      let text = ''
      let finalText: string | undefined
      for await (const e of options.backend.stream(
        { task, messages: [{ role: 'system', content: options.instructions ? `${SYSTEM}\n${options.instructions}` : SYSTEM }, { role: 'user', content: user }], inputs: { model: options.model } },
        { task, session: { id: `${ctx.runId}:${id}`, backend: options.backend.kind, status: 'active', createdAt: now, updatedAt: now }, signal: ctx.signal, runId: ctx.runId },
      )) {
        if (e.type === 'text_delta') text += e.text
        else if (e.type === 'llm_call' && typeof e.costUsd === 'number' && Number.isFinite(e.costUsd)) spentUsd += e.costUsd
        else if (e.type === 'final' && typeof e.text === 'string') finalText = e.text
        else if (e.type === 'backend_error') throw new BackendTransportError(e.backend, `model analyst backend failed: ${e.message}`)
      }
      const raw = text.length > 0 ? text : (finalText ?? '')
      let parsed: z.infer<typeof modelOutput>
      try {
        const result = modelOutput.safeParse(extractJson(raw))
        if (!result.success) {
          const first = result.error.issues[0]!
          throw new Error(`${first.path.join('.') || '(root)'}: ${first.message}`)
        }
        parsed = result.data
      } catch (err) {
        throw new AnalystOutputError(`model analyst '${id}' returned malformed findings: ${(err as Error).message}`, raw)
      }
      const known = new Set(loaded.map((l) => l.run.runId))
      return parsed.findings.map((f): AnalystFinding => {
        const finding: AnalystFinding = {
          finding_id: '',
          analyst_id: id,
          severity: f.severity,
          area: f.area,
          claim: f.claim,
          confidence: f.confidence,
          evidence_refs: (f.evidence_run_ids ?? []).filter((r) => known.has(r)).map((r) => ({ kind: 'run', uri: `trace://${r}` })),
        }
        if (f.recommended_action) finding.recommended_action = f.recommended_action
        if (f.subject) finding.subject = f.subject
        finding.finding_id = findingId(finding)
        return finding
      })
    },
  }
}
