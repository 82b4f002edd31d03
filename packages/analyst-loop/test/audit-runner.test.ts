import { DELEGATED_LOOP_MODES, runDelegatedLoop } from '@tangle-network/agent-runtime'
import { auditLoopRunner, createAnalystRegistry, createMemoryFindingsStore, type AnalystLoopResult } from '@tangle-network/agent-runtime/analyst-loop'
import { describe, expect, it } from 'vitest'

const analyst = (claims: string[]) =>
  createAnalystRegistry([
    {
      id: 'stub',
      description: '',
      inputKind: 'custom' as const,
      cost: { kind: 'deterministic' as const },
      version: '1',
      analyze: () => claims.map((claim) => ({ finding_id: '', analyst_id: '', severity: 'low' as const, area: claim, claim, evidence_refs: [], confidence: 0.5 })),
    },
  ])

describe('auditLoopRunner (delegated audit mode)', () => {
  it('runs the analyst loop under runDelegatedLoop, a fresh run id per invocation, diffing against the last audit', async () => {
    expect(DELEGATED_LOOP_MODES).toContain('audit')
    const findingsStore = createMemoryFindingsStore()
    let n = 0
    let t = 0
    const registry = { audit: auditLoopRunner({ registry: analyst(['a', 'b']), inputs: {}, findingsStore, runId: () => `audit-${++n}`, clock: () => ++t }) }
    const first = await runDelegatedLoop('audit', registry)
    expect(first).toMatchObject({ mode: 'audit', ok: true })
    expect((first.output as AnalystLoopResult).runId).toBe('audit-1')
    const second = await runDelegatedLoop('audit', registry)
    const out = second.output as AnalystLoopResult
    expect([out.runId, out.baselineRunId, out.diff?.persisting.length]).toEqual(['audit-2', 'audit-1', 2])
  })

  it('passes the delegation signal through: an aborted audit is recorded as ok:false', async () => {
    const controller = new AbortController()
    controller.abort()
    const runner = auditLoopRunner({ registry: analyst(['a']), inputs: {}, findingsStore: null, runId: 'fixed' })
    const result = await runDelegatedLoop('audit', { audit: runner }, { signal: controller.signal })
    expect(result.ok).toBe(false)
    expect(result.error).toMatch(/runAnalystLoop\(fixed\): aborted/)
  })
})
