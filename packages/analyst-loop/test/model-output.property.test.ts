import { createMemoryTraceStore, parseEvalRunsExport } from '@tangle-network/agent-runtime/agent'
import { AnalystOutputError, createModelAnalyst } from '@tangle-network/agent-runtime/analyst-loop'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

const analyse = (reply: string) =>
  createModelAnalyst({ backend: createScriptedBackend({ turns: [[{ type: 'text_delta', text: reply }]] }), model: 'm' }).analyze({ traces: createMemoryTraceStore() }, { runId: 'a', priorFindings: undefined })

const finding = fc.record({
  severity: fc.constantFrom('info', 'low', 'medium', 'high', 'critical'),
  area: fc.string({ minLength: 1 }),
  claim: fc.string({ minLength: 1 }),
  confidence: fc.double({ min: 0, max: 1, noNaN: true }),
})

describe('model analyst output parsing (untrusted model text)', () => {
  it('any reply either parses into valid findings or fails as AnalystOutputError carrying the raw text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), async (reply) => {
        try {
          const out = await analyse(reply)
          for (const f of out) expect(f.confidence >= 0 && f.confidence <= 1).toBe(true)
        } catch (err) {
          expect(err).toBeInstanceOf(AnalystOutputError)
          expect((err as AnalystOutputError).raw).toBe(reply)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('finds a valid findings object wrapped in brace-free prose or a fenced block', async () => {
    const prose = fc.string().filter((s) => !s.includes('{') && !s.includes('}') && !s.includes('`'))
    await fc.assert(
      fc.asyncProperty(fc.array(finding, { maxLength: 4 }), prose, prose, fc.boolean(), async (findings, before, after, fenced) => {
        const json = JSON.stringify({ findings })
        const out = await analyse(fenced ? `${before}\n\`\`\`json\n${json}\n\`\`\`\n${after}` : `${before}${json}${after}`)
        expect(out.map((f) => [f.severity, f.area, f.claim, f.confidence])).toEqual(findings.map((f) => [f.severity, f.area, f.claim, f.confidence]))
      }),
      { numRuns: 200 },
    )
  })
})

describe('eval-runs wire parsing (untrusted documents)', () => {
  it('rejects any non-conforming value with a ValidationError, never another error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseEvalRunsExport(value)
        } catch (err) {
          expect((err as { code?: string }).code).toBe('validation')
        }
      }),
      { numRuns: 300 },
    )
  })
})
