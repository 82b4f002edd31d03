import type { LoopTraceEvent } from '@tangle-network/agent-runtime-core'
import { renderLoopTrace } from '@tangle-network/agent-runtime-core/loops'
import { describe, expect, it } from 'vitest'

const runId = 'loop-demo'
const e = (kind: LoopTraceEvent['kind'], t: number, payload: unknown) => ({ kind, runId, timestamp: t, payload }) as LoopTraceEvent

const events: LoopTraceEvent[] = [
  e('loop.started', 0, { driver: 'dynamic', agentRunNames: ['claude', 'codex'], maxIterations: 8, maxConcurrency: 4 }),
  e('loop.plan', 1, { roundIndex: 0, plannedCount: 1, moveKind: 'refine', rationale: 'first\ntry', childIndices: [0] }),
  e('loop.iteration.started', 2, { iterationIndex: 0, roundIndex: 0, agentRunName: 'claude', taskHash: 'h', groupId: 'g0' }),
  e('loop.iteration.ended', 30, {
    iterationIndex: 0, roundIndex: 0, agentRunName: 'claude', verdict: { valid: false, score: 0.4 }, costUsd: 0.25, durationMs: 28,
    tokenUsage: { input: 100, output: 20 }, groupId: 'g0',
  }),
  e('loop.decision', 31, { roundIndex: 0, decision: 'continue', historyLength: 1 }),
  e('loop.plan', 32, { roundIndex: 1, plannedCount: 2, moveKind: 'fanout', rationale: 'two ideas', parentIndex: 0, childIndices: [1, 2] }),
  e('loop.iteration.started', 33, { iterationIndex: 1, roundIndex: 1, agentRunName: 'codex', taskHash: 'h', groupId: 'g1', parentIndex: 0 }),
  e('loop.iteration.started', 33, { iterationIndex: 2, roundIndex: 1, agentRunName: 'claude', taskHash: 'h', groupId: 'g1', parentIndex: 0 }),
  e('loop.iteration.dispatch', 34, { iterationIndex: 1, placement: 'fleet', fleetId: 'f1', machineId: 'm2' }),
  e('loop.iteration.ended', 60, { iterationIndex: 1, roundIndex: 1, agentRunName: 'codex', error: 'harness crashed', costUsd: 0, durationMs: 27, groupId: 'g1' }),
  e('loop.teardown.failed', 61, { iterationIndex: 1, reason: 'busy' }),
  e('loop.iteration.ended', 1500, {
    iterationIndex: 2, roundIndex: 1, agentRunName: 'claude', verdict: { valid: true, score: 0.9 }, costUsd: 0.5, durationMs: 1467, groupId: 'g1',
  }),
  e('loop.decision', 1501, { roundIndex: 1, decision: 'continue', historyLength: 3 }),
  e('loop.plan', 1502, { roundIndex: 2, plannedCount: 0, moveKind: 'stop', rationale: 'good enough', childIndices: [] }),
  e('loop.decision', 1503, { roundIndex: 2, decision: 'done', historyLength: 3 }),
  e('loop.ended', 1504, { winnerIterationIndex: 2, totalCostUsd: 0.75, durationMs: 1504, iterations: 3, decision: 'done' }),
]

describe('renderLoopTrace', () => {
  it('prints rounds, moves, rationale, verdicts, costs and the winner as a tree', () => {
    expect(renderLoopTrace(events)).toBe(
      [
        'loop loop-demo · driver dynamic · agents claude, codex · 1.50s · $0.7500 · decision done · winner #2',
        '├─ round 0 · refine · "first try"',
        '│  └─ #0 claude · ✗ invalid 0.40 · $0.2500 · 28ms · 100→20 tok',
        '├─ round 1 · fanout ×2 · from #0 · "two ideas"',
        '│  ├─ #1 codex · ⚠ error: harness crashed · $0.0000 · 27ms · fleet f1/m2 · teardown failed: busy',
        '│  └─ #2 claude · ✓ valid 0.90 · $0.5000 · 1.47s ★ winner',
        '└─ round 2 · stop · "good enough" · → done',
      ].join('\n'),
    )
  })

  it('colours when asked, renders running loops, and handles no events', () => {
    const colored = renderLoopTrace(events, { color: true })
    expect(colored).toContain('\u001b[32m✓ valid 0.90\u001b[0m')
    expect(colored.replace(/\u001b\[\d+m/g, '')).toBe(renderLoopTrace(events))
    const running = renderLoopTrace(events.slice(0, 7))
    expect(running.split('\n')[0]).toBe('loop loop-demo · driver dynamic · agents claude, codex · 33ms · running')
    expect(running).toContain('#1 codex · … unfinished')
    expect(renderLoopTrace([])).toBe('(no loop events)')
    expect(renderLoopTrace(events, { maxRationaleChars: 8 })).toContain('"good eno…"')
  })
})
