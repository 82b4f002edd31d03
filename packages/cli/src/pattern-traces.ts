import type { TickResult } from '@tangle-network/agent-runtime-core'
import type { NewTraceEvent, TraceStore } from '@tangle-network/agent-runtime-core/agent'

/** What {@link createPatternTraceRecorder} needs to know about the run. @experimental */
export interface PatternTraceRun {
  runId: string
  patternId: string
  name: string
  level: string
  backend: string
  dryRun: boolean
  ticks: number
  clock: () => number
}

/** Writes one pattern run into a trace store as a loop: a round per tick, one iteration per round. @experimental */
export interface PatternTraceRecorder {
  start(): Promise<void>
  tickStarted(tick: number): Promise<void>
  tickEnded(result: TickResult): Promise<void>
  end(outcome: { halted?: { kind: string; reason?: string }; error?: string; spentTokens: number; ticks: readonly TickResult[] }): Promise<void>
}

/**
 * Records a pattern run (the `agent-runtime-loop run` ticks) as loop trace
 * events, so the loop console shows it live: `loop.started`, then per tick
 * `loop.plan` + `loop.iteration.started` and, when the tick ends,
 * `loop.iteration.ended` (verdict, failed checks, patch, tokens) and
 * `loop.decision`; `loop.ended` last. Trace writes never fail the run.
 * @experimental
 * @example
 * const rec = createPatternTraceRecorder(traces, { runId: 'daily-triage:k3x9', patternId: 'daily-triage', name: 'Daily Triage', level: 'L2', backend: 'mock', dryRun: true, ticks: 1, clock: Date.now })
 */
export function createPatternTraceRecorder(store: TraceStore, run: PatternTraceRun): PatternTraceRecorder {
  let begun = false
  const startedAt = run.clock()
  const write = async (events: NewTraceEvent[]) => {
    if (!begun) return
    await store.append(run.runId, events).catch(() => undefined)
  }
  const loopEvent = (type: string, payload: Record<string, unknown>): NewTraceEvent => ({ kind: 'loop', type, timestamp: run.clock(), payload })
  return {
    async start() {
      try {
        await store.beginRun({ runId: run.runId, agentId: run.patternId, variantId: run.level, startedAt })
        begun = true
      } catch {
        return
      }
      await write([loopEvent('loop.started', { driver: 'pattern', pattern: run.patternId, name: run.name, level: run.level, dryRun: run.dryRun, agentRunNames: [run.backend], maxIterations: run.ticks, maxConcurrency: 1 })])
    },
    async tickStarted(tick) {
      const i = tick - 1
      await write([
        loopEvent('loop.plan', { roundIndex: i, plannedCount: 1, moveKind: 'tick', childIndices: [i] }),
        loopEvent('loop.iteration.started', { iterationIndex: i, roundIndex: i, agentRunName: run.backend, taskHash: run.patternId, groupId: `tick-${tick}` }),
      ])
    },
    async tickEnded(t) {
      const i = t.tick - 1
      const failedChecks = [...(t.verdict?.verdict === 'reject' ? t.verdict.reasons : []), ...(t.gate && t.gate.action === 'escalate' ? t.gate.reasons : [])]
      await write([
        loopEvent('loop.iteration.ended', {
          iterationIndex: i,
          roundIndex: i,
          agentRunName: run.backend,
          groupId: `tick-${t.tick}`,
          costUsd: t.usage.costUsd,
          durationMs: t.endedAt - t.startedAt,
          tokens: t.usage.tokens,
          outcome: t.outcome,
          decision: t.decision,
          ...(t.verdict ? { verdict: { valid: t.verdict.verdict === 'accept', score: t.verdict.verdict === 'accept' ? 1 : 0, notes: t.verdict.reasons.join('; ') } } : {}),
          ...(failedChecks.length ? { failedChecks } : {}),
          ...(t.files.length ? { files: t.files } : {}),
          ...(t.patch ? { patch: t.patch } : {}),
          ...(t.summary ? { outputPreview: t.summary } : {}),
          ...(t.error ? { error: t.error } : t.halt ? { error: `halted: ${t.halt.kind}${t.halt.reason ? ` (${t.halt.reason})` : ''}` } : {}),
        }),
        loopEvent('loop.decision', { roundIndex: i, decision: t.outcome, historyLength: t.tick }),
      ])
    },
    async end(o) {
      if (!begun) return
      const costUsd = o.ticks.reduce((s, t) => s + t.usage.costUsd, 0)
      const endedAt = run.clock()
      const decision = o.halted ? 'halted' : o.error ? 'failed' : 'done'
      await write([loopEvent('loop.ended', { totalCostUsd: costUsd, durationMs: endedAt - startedAt, iterations: o.ticks.length, decision, tokens: o.ticks.reduce((s, t) => s + t.usage.tokens, 0) })])
      const failed = o.error !== undefined || o.halted !== undefined || o.ticks.some((t) => t.outcome === 'failed')
      await store
        .endRun(run.runId, {
          status: failed ? 'failed' : 'completed',
          endedAt,
          costUsd,
          output: { ticks: o.ticks.length, outcomes: o.ticks.map((t) => t.outcome), spentTokensToday: o.spentTokens, ...(o.halted ? { halted: o.halted } : {}) },
          ...(o.halted ? { error: `halted: ${o.halted.kind}${o.halted.reason ? ` (${o.halted.reason})` : ''}` } : o.error ? { error: o.error } : {}),
        })
        .catch(() => undefined)
    },
  }
}
