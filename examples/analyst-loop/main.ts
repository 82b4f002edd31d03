/**
 * The analyst loop, offline: a support agent defined with defineAgent answers
 * scripted personas through its sandbox profile (the embedded local sandbox),
 * its traces go to SQLite, and two audits mine them into findings. The second
 * audit prints its findings, the diff against the first, and what happened to
 * two knowledge writes: the high-confidence one passes the KB gate and is
 * written, the low-confidence one is withheld for review.
 *
 *   pnpm --filter @examples/analyst-loop start [work-dir]
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { betterSqlite3ToSqlAdapter } from '@tangle-network/agent-runtime'
import { type AgentPersona, createSandboxAct, createSqlTraceStore, recordAgentRun } from '@tangle-network/agent-runtime/agent'
import { defineAgent } from '@tangle-network/agent-runtime/agent/node'
import { type AnalystFinding, createAnalystRegistry, createFailureClusterAnalyst, createModelAnalyst, createSqlFindingsStore, runAnalystLoop } from '@tangle-network/agent-runtime/analyst-loop'
import { createKnowledgeSurface, traceSourceResolver } from '@tangle-network/agent-runtime/analyst-loop/node'
import { createLocalSandboxClient, scriptedHarness } from '@tangle-network/agent-runtime/sandbox-local'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'
import Database from 'better-sqlite3'
import { kbGate } from './kb-gate.js'

interface Persona extends AgentPersona {
  message: string
}

const POLICY = 'Returns policy. Refunds are accepted within 30 days of delivery. Store credit is offered after that.'

const workArg = process.argv[2]
const work = workArg ? resolve(workArg) : mkdtempSync(join(tmpdir(), 'analyst-loop-example-'))
const agentDir = join(work, 'support-agent')
for (const d of ['prompts', 'tools', 'personas', 'knowledge']) mkdirSync(join(agentDir, d), { recursive: true })
writeFileSync(join(agentDir, 'prompts/system.md'), '# Support agent\n\nAnswer from the docs; search them first.\n')
writeFileSync(join(agentDir, 'rubric.md'), '# answered: the reply answers the question\n')

// The agent inside its sandbox: it searches the docs, and some tools misbehave.
const harness = scriptedHarness(({ prompt }) => {
  if (prompt.includes('timeout')) return [{ type: 'tool_call', data: { toolName: 'search_docs' } }, { type: 'error', data: { message: 'TimeoutError: search_docs took 30s' } }]
  if (prompt.includes('order')) return [{ type: 'tool_result', data: { toolName: 'orders', isError: true, error: 'orders API 503' } }, 'I could not reach the orders system.']
  if (prompt.includes('return')) return [{ type: 'tool_result', data: { toolName: 'returns_api', isError: true, error: 'returns API 500' } }, 'I could not start the return.']
  if (prompt.includes('refund')) return [{ type: 'tool_result', data: { toolName: 'search_docs', result: POLICY } }, 'Let me check on refunds for you.']
  return [{ type: 'tool_result', data: { toolName: 'search_docs', result: 'Shipping takes a few days.' } }, 'Shipping takes a few days.']
})
const sandboxClient = createLocalSandboxClient({ root: join(work, 'boxes'), harnesses: { scripted: harness } })

const agent = defineAgent<Persona, string>({
  id: 'support-agent',
  repoRoot: agentDir,
  surfaces: { systemPrompt: 'prompts', tools: 'tools', personas: 'personas', knowledge: 'knowledge', rubric: 'rubric.md' },
  rubric: { dimensions: [{ id: 'answered', weight: 1, score: ({ output }) => (/could not|let me check/i.test(output) ? 0 : 1) }] },
  runtime: {
    act: createSandboxAct<Persona, string>({
      sandboxClient,
      profile: { name: 'support-agent', harness: 'scripted', prompt: { systemPrompt: readFileSync(join(agentDir, 'prompts/system.md'), 'utf8') } },
      message: (p) => p.message,
    }),
  },
  personas: () => [],
  analystKinds: ['failure-clusters', 'model-analyst'],
  analyst: { model: 'scripted-analyst', budgetUsd: 1 },
})

const yesterday: Persona[] = [
  { id: 'alice', message: 'refund please (timeout)' },
  { id: 'bob', message: 'where is my order?' },
  { id: 'carol', message: 'how long is shipping?' },
  { id: 'dan', message: 'refund status (timeout)' },
]
const today: Persona[] = [
  { id: 'erin', message: 'can I get a refund?' },
  { id: 'frank', message: 'I want to return this' },
  { id: 'gina', message: 'how long is shipping?' },
  { id: 'hank', message: 'refund again (timeout)' },
]

const db = new Database(join(work, 'traces.db'))
const sql = betterSqlite3ToSqlAdapter(db)
const traces = createSqlTraceStore(sql)
await traces.migrate()
const findingsStore = createSqlFindingsStore(sql)
await findingsStore.migrate()
let t = Date.UTC(2026, 0, 1)
const clock = () => (t += 1000)

async function runDay(day: string, personas: Persona[]): Promise<string[]> {
  const ids: string[] = []
  for (const p of personas) ids.push((await recordAgentRun(agent, p, { traces, runId: `${day}-${p.id}`, clock })).runId)
  return ids
}

// The model analyst's replies (a real deployment points it at any backend).
const shipping = { severity: 'low', area: 'knowledge', subject: 'shipping-times', claim: 'shipping answers are vague', confidence: 0.6, recommended_action: 'Shipping takes "3 to 5 business days" in the EU.' }
const refund = { severity: 'high', area: 'knowledge', subject: 'refund-window', claim: 'the agent does not know the refund window', confidence: 0.93, recommended_action: 'Refunds: "Refunds are accepted within 30 days of delivery."', evidence_run_ids: ['today-erin'] }
const replies = [{ findings: [shipping] }, { findings: [refund, shipping] }]
const modelBackend = createScriptedBackend({ turns: replies.map((r) => [{ type: 'text_delta' as const, text: JSON.stringify(r) }]) })
const registry = createAnalystRegistry([createFailureClusterAnalyst(), createModelAnalyst({ backend: modelBackend, model: agent.analyst.model, budgetUsd: agent.analyst.budgetUsd })], { only: agent.analystKinds })

const day1 = await runDay('yesterday', yesterday)
await runAnalystLoop({ runId: 'audit-1', registry, inputs: { traces, runIds: day1 }, findingsStore, clock })
const day2 = await runDay('today', today)
const failed = (await Promise.all([...day1, ...day2].map((id) => traces.getRun(id)))).filter((r) => r?.status === 'failed').length
console.log(`runs: ${day1.length + day2.length} recorded in ${relative(work, join(work, 'traces.db'))} (${failed} failed)`)

const result = await runAnalystLoop({
  runId: 'audit-2',
  registry,
  inputs: { traces, runIds: day2 },
  findingsStore,
  knowledgeAdapter: createKnowledgeSurface({ dir: agent.surfacePaths.knowledge!, gate: kbGate, resolveSource: traceSourceResolver(traces) }),
  autoApply: { knowledge: true },
  clock,
})

const line = (f: AnalystFinding) => `${f.area.padEnd(18)} ${f.claim}`
console.log(`findings (${result.runId}):`)
for (const f of result.analystResult.findings) console.log(`  [${f.severity} ${f.confidence.toFixed(2)}] ${line(f)}`)
const diff = result.diff!
console.log(`diff vs ${result.baselineRunId}: ${diff.new.length} new, ${diff.resolved.length} resolved, ${diff.persisting.length} persisting`)
for (const f of diff.new) console.log(`  + ${line(f)}`)
for (const f of diff.resolved) console.log(`  - ${line(f)}`)
for (const p of diff.persisting) console.log(`  = ${line(p.finding)}`)
const k = result.knowledge!
console.log(`knowledge: ${k.applied.length} applied, ${k.withheld_for_review.length} withheld for review, ${k.rejected.length} rejected`)
for (const a of k.applied) console.log(`  applied  ${relative(agentDir, String(a.detail?.file))}`)
for (const w of k.withheld_for_review) console.log(`  withheld ${w.item.title} (${w.reason})`)
db.close()
await sandboxClient.deleteAll()
if (!workArg) rmSync(work, { recursive: true, force: true })
