/**
 * End to end, closing the self-improvement loop on real parts: an agent
 * defined with defineAgent runs its personas through its production sandbox
 * profile (sandbox-local, scripted harness) with traces in SQLite; the
 * analyst loop mines them into findings; the prompt surface proposes edits in
 * git worktrees; a held-out statistical gate ships one edit and holds the
 * other (withheld for review, with the reason); the next run's traces show
 * the shipped fix and the diff marks the finding resolved.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { betterSqlite3ToSqlAdapter } from '@tangle-network/agent-runtime'
import { type AgentPersona, collectAgentRun, createSandboxAct, createSqlTraceStore, exportEvalRuns, recordAgentRun } from '@tangle-network/agent-runtime/agent'
import { defineAgent } from '@tangle-network/agent-runtime/agent/node'
import { createAnalystRegistry, createFailureClusterAnalyst, createModelAnalyst, createSqlFindingsStore, runAnalystLoop } from '@tangle-network/agent-runtime/analyst-loop'
import { createPromptSurface } from '@tangle-network/agent-runtime/analyst-loop/node'
import { createLocalSandboxClient, initGitRepo, scriptedHarness } from '@tangle-network/agent-runtime/sandbox-local'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { decidePaired } from './sign-test-gate.js'

interface Persona extends AgentPersona {
  message: string
}

const tmp = mkdtempSync(join(tmpdir(), 'i14-e2e-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('closed loop: defineAgent → traces → findings → prompt proposal → improvement gate', () => {
  it('ships the edit that fixes a failure cluster and withholds the one that does not, with reasons', { timeout: 120_000 }, async () => {
    const { dir: repo } = await initGitRepo(join(tmp, 'agent'), {
      'prompts/system.md': '# Order-status agent\n\nLook orders up with the `orders` tool.\n',
      'tools/orders.json': '{"name":"orders"}\n',
      'personas/README.md': 'scripted personas\n',
      'knowledge/README.md': 'facts\n',
      'rubric.md': '# answered: the user got their order status\n',
    })
    // The agent's sandboxed behaviour: the `orders` tool times out on busy orders,
    // and the agent only recovers when its system prompt tells it to handle TimeoutError.
    const harness = scriptedHarness(({ prompt, createOptions }) => {
      const system = String((createOptions.backend?.profile as { prompt?: { systemPrompt?: string } })?.prompt?.systemPrompt ?? '')
      const busy = prompt.includes('busy')
      const out: Array<{ type: string; data: Record<string, unknown> } | string> = [{ type: 'tool_call', data: { toolName: 'orders', args: { prompt } } }]
      if (busy && !system.includes('Handle TimeoutError')) {
        out.push({ type: 'error', data: { message: 'TimeoutError: orders did not answer in 10s' } })
        return out
      }
      if (busy) out.push({ type: 'tool_result', data: { toolName: 'orders', isError: true, error: 'timeout' } }, { type: 'tool_result', data: { toolName: 'orders', result: 'shipped' } })
      else out.push({ type: 'tool_result', data: { toolName: 'orders', result: 'shipped' } })
      out.push('Your order has shipped.')
      return out
    })
    const sandboxClient = createLocalSandboxClient({ root: join(tmp, 'boxes'), harnesses: { scripted: harness } })
    const act = (persona: Persona, ctx: Parameters<ReturnType<typeof createSandboxAct<Persona, string>>>[1], promptOverride?: string) =>
      createSandboxAct<Persona, string>({
        sandboxClient,
        profile: { name: 'orders-agent', harness: 'scripted', prompt: { systemPrompt: promptOverride ?? readFileSync(join(repo, 'prompts/system.md'), 'utf8') } },
        message: (p) => p.message,
      })(persona, ctx)
    const training: Persona[] = Array.from({ length: 8 }, (_, i) => ({ id: `train-${i}`, message: i < 6 ? `where is busy order ${i}` : `where is order ${i}` }))
    const holdout: Persona[] = Array.from({ length: 8 }, (_, i) => ({ id: `holdout-${i}`, message: i % 4 === 3 ? `where is order h${i}` : `where is busy order h${i}` }))
    const agent = defineAgent<Persona, string>({
      id: 'orders-agent',
      repoRoot: repo,
      surfaces: { systemPrompt: 'prompts', tools: 'tools', personas: 'personas', knowledge: 'knowledge', rubric: 'rubric.md' },
      rubric: { dimensions: [{ id: 'answered', weight: 1, score: ({ output }) => (output.includes('shipped') ? 1 : 0) }] },
      runtime: { act: (persona, ctx) => act(persona, ctx) },
      personas: () => training,
      analystKinds: ['failure-clusters', 'model-analyst'],
      analyst: { model: 'scripted-analyst', budgetUsd: 1 },
    })

    const db = new Database(join(tmp, 'traces.db'))
    const traces = createSqlTraceStore(betterSqlite3ToSqlAdapter(db))
    await traces.migrate()
    const findingsStore = createSqlFindingsStore(betterSqlite3ToSqlAdapter(db))
    await findingsStore.migrate()
    let t = Date.UTC(2026, 0, 1)
    const clock = () => (t += 1000)

    // 1. Baseline runs → traces in SQLite.
    const round1: string[] = []
    for (const p of await agent.personas()) round1.push((await recordAgentRun(agent, p, { traces, runId: `r1-${p.id}`, clock })).runId)
    expect((await Promise.all(round1.map((id) => traces.getRun(id)))).map((r) => r?.status)).toEqual([...Array(6).fill('failed'), 'completed', 'completed'])

    // The gate: score baseline and candidate prompts on held-out personas through the same production act, paired.
    const gateCalls: string[] = []
    const heldOutScores = async (systemPrompt: string) => {
      const scores: number[] = []
      for (const p of holdout) {
        // A failed run scores 0 (the run's output promise carries the failure).
        const output = await collectAgentRun(act(p, { runId: `gate-${p.id}`, emitter: { emit() {} } }, systemPrompt)).then(
          (r) => r.output,
          () => '',
        )
        scores.push(Number(await agent.rubric.dimensions[0]!.score({ persona: p, output })))
      }
      return scores
    }
    const promptSurface = createPromptSurface({
      repoRoot: repo,
      promptFile: 'prompts/system.md',
      worktreeRoot: join(tmp, 'worktrees'),
      promote: async (req) => {
        gateCalls.push(req.sourceFindingId)
        return decidePaired(await heldOutScores(req.baselinePrompt), await heldOutScores(req.candidatePrompt))
      },
    })
    const modelBackend = createScriptedBackend({
      turns: () => [{ type: 'text_delta', text: JSON.stringify({ findings: [{ severity: 'medium', area: 'prompt', claim: 'replies never greet the user', confidence: 0.95, recommended_action: 'Greet the user by name before answering.' }] }) }],
    })
    const registry = createAnalystRegistry([createFailureClusterAnalyst(), createModelAnalyst({ backend: modelBackend, model: agent.analyst.model, budgetUsd: agent.analyst.budgetUsd })], { only: agent.analystKinds })

    // 2. Analyst loop over the baseline traces.
    const first = await runAnalystLoop({
      runId: 'audit-1',
      registry,
      inputs: { traces, runIds: round1 },
      findingsStore,
      improvementAdapter: promptSurface,
      autoApply: { improvement: true, improvementConfidenceThreshold: 0.85 },
      clock,
    })
    const timeout = first.analystResult.findings.find((f) => f.area === 'error:TimeoutError')!
    const greeting = first.analystResult.findings.find((f) => f.area === 'prompt')!
    expect(timeout).toMatchObject({ analyst_id: 'failure-clusters', confidence: 0.875, claim: expect.stringContaining('6 of 8 runs hit TimeoutError') })
    expect(greeting.analyst_id).toBe('model-analyst')
    expect(first.improvement?.proposed.map((p) => p.sourceFindingId)).toEqual([timeout.finding_id, greeting.finding_id])
    expect(gateCalls).toEqual([timeout.finding_id, greeting.finding_id])
    // Shipped: the held-out gate saw 6/6 busy orders fixed.
    expect(first.improvement?.applied.map((o) => [o.item.sourceFindingId, o.reason])).toEqual([
      [timeout.finding_id, 'sign test on 8 held-out pairs: 6/6 improved, p=0.0156 (need <= 0.025), mean delta 0.750'],
    ])
    // Withheld: the greeting edit changes no held-out score.
    expect(first.improvement?.withheld_for_review.map((w) => [w.item.sourceFindingId, w.reason])).toEqual([
      [greeting.finding_id, 'improvement gate decided hold: no paired difference on 8 held-out scenarios (delta 0)'],
    ])
    const landedPrompt = readFileSync(join(repo, 'prompts/system.md'), 'utf8')
    expect(landedPrompt).toContain('Handle TimeoutError')
    expect(landedPrompt).not.toContain('Greet the user')
    expect(execFileSync('git', ['log', '--format=%s'], { cwd: repo, encoding: 'utf8' }).split('\n')[0]).toContain('prompt: 6 of 8 runs hit TimeoutError')

    // 3. The agent runs again with the landed prompt; the next audit sees the cluster resolved.
    const round2: string[] = []
    for (const p of await agent.personas()) round2.push((await recordAgentRun(agent, p, { traces, runId: `r2-${p.id}`, clock })).runId)
    expect((await Promise.all(round2.map((id) => traces.getRun(id)))).every((r) => r?.status === 'completed')).toBe(true)
    const second = await runAnalystLoop({ runId: 'audit-2', registry, inputs: { traces, runIds: round2 }, findingsStore, clock })
    expect(second.baselineRunId).toBe('audit-1')
    expect(second.diff?.resolved.map((f) => f.area)).toEqual(['error:TimeoutError'])
    expect(second.diff?.new.map((f) => f.area)).toEqual(['tool:orders'])
    expect(second.diff?.persisting.map((p) => p.finding.area)).toEqual(['prompt'])

    // The runs, with traces and scores, export in the wire format.
    const doc = await exportEvalRuns(traces, { agentId: 'orders-agent' })
    expect(doc.runs).toHaveLength(16)
    expect(doc.runs.filter((r) => r.composite === 1)).toHaveLength(10)
    await promptSurface.cleanup()
    db.close()
  })
})
