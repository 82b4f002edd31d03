// Seed 004's library example, as users would write it.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { BudgetBreaker, buildPlan, LoopEngine, MemoryStateWriter, MockBackend, parseLoopRegistry } from '@tangle-network/agent-runtime-cli'
import { afterAll, describe, expect, it } from 'vitest'
import { gitRepo, REGISTRY } from './bin-helpers.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('LoopEngine (seed 004 library API)', () => {
  it('ticks a plan with a mock backend, a memory state writer and a budget breaker', async () => {
    const dir = gitRepo(dirs)
    const pattern = parseLoopRegistry(REGISTRY, 'registry.yaml').patterns[0]!
    const plan = buildPlan(pattern, { level: 'L2' })
    const state = new MemoryStateWriter()
    const engine = new LoopEngine(plan, { backend: new MockBackend(), state, budget: new BudgetBreaker(plan.dailyTokenCap), repoRoot: dir })
    const result = await engine.tick()
    expect(result).toMatchObject({ tick: 1, decision: 'act', outcome: 'committed', commitTarget: 'throwaway-branch', files: ['src/example.ts'], usage: { tokens: 5000 } })
    expect(execFileSync('git', ['branch', '--list', result.branch!], { cwd: dir, encoding: 'utf8' })).toContain(result.branch)
    expect(state.state).toContain('Budget: 5,000 / 12,000 tokens spent today.')
    expect(state.log).toHaveLength(1)
    const second = await engine.tick()
    expect(second.tick).toBe(2)
    // 10,000 spent, the peak tick is 5,000: a third does not fit 12,000.
    expect((await engine.tick()).outcome).toBe('halted')
    expect(state.log.map((e) => e.outcome)).toEqual(['committed', 'committed', 'halted'])
  }, 60_000)
})
