import {
  type Gate,
  type GateResult,
  type Scenario,
  createMemoryCampaignStorage,
  defaultProductionGate,
  heldOutGate,
  runCampaign,
} from '@tangle-network/agent-runtime/improvement'
import { describe, expect, it } from 'vitest'
import { scenarios } from './helpers.js'

const passJudge = { name: 'pass', score: (o: { pass: number }) => o.pass }

/** Scores: `table[surface](scenarioIndex)`; the baseline fails every held-out cell. */
function decide(gate: Gate, table: Record<string, (i: number, s: Scenario) => number>, candidates: string[]): Promise<GateResult> {
  const storage = createMemoryCampaignStorage()
  const run = (surface: string, s: Scenario) => ({ pass: table[surface]!(Number(s.id.split('-').at(-1)), s) })
  return gate.decide({
    baseline: 'base',
    candidates: candidates.map((c) => ({ id: c, label: c, surface: c })),
    signal: new AbortController().signal,
    evaluate: (surface, scens) => runCampaign({ surface, scenarios: scens, judges: [passJudge], run, storage }),
  })
}

describe('heldOutGate', () => {
  const holdout = scenarios('h', 30)

  it('binary judges: ships on an exact McNemar test and says so; 5 of 5 changed cells are not enough at 0.025', async () => {
    const strong = await decide(heldOutGate({ scenarios: holdout }), { base: () => 0, cand: (i) => (i < 9 ? 1 : 0) }, ['cand'])
    expect(strong.decision).toBe('ship')
    expect(strong.verdicts[0]).toMatchObject({ ship: true, n: 30, method: 'mcnemar-exact+studentized-bootstrap' })
    expect(strong.verdicts[0]!.pValue).toBeCloseTo(1 / 512, 6)
    expect(strong.reasons[1]).toMatch(/exact McNemar test on 9 changed cells \(9 better, 0 worse\) p = 0\.0020/)
    const weak = await decide(heldOutGate({ scenarios: holdout }), { base: () => 0, cand: (i) => (i < 5 ? 1 : 0) }, ['cand'])
    expect(weak.decision).toBe('hold')
    expect(weak.reasons[1]).toMatch(/holds: the exact test's p-value is above 0\.0250/)
    expect(weak.reasons[0]).toMatch(/no candidate proved a lift/)
  })

  it("Holm's step-down: the strongest candidate is tested at α/3, the next at α/2, and the procedure stops at the first failure", async () => {
    const result = await decide(
      heldOutGate({ scenarios: holdout }),
      { base: () => 0, strong: (i) => (i < 12 ? 1 : 0), middling: (i) => (i < 6 ? 1 : 0), none: () => 0 },
      ['middling', 'none', 'strong'],
    )
    const byId = Object.fromEntries(result.verdicts.map((v) => [v.id, v]))
    expect(byId.strong).toMatchObject({ ship: true, level: 0.025 / 3 })
    // p = 1/64 ≈ 0.0156 would pass alone at 0.025, but Holm tests it at 0.0125.
    expect(byId.middling).toMatchObject({ ship: false, level: 0.0125 })
    expect(byId.middling!.pValue).toBeGreaterThanOrEqual(1 / 64)
    expect(byId.none).toMatchObject({ ship: false, level: undefined })
    expect(byId.none!.reason).toMatch(/not tested: Holm's step-down stopped/)
    expect(result).toMatchObject({ decision: 'ship', winner: 'strong' })
    expect(result.reasons[0]).toMatch(/Holm's correction over 3 candidates/)
    const alone = await decide(heldOutGate({ scenarios: holdout }), { base: () => 0, middling: (i) => (i < 6 ? 1 : 0) }, ['middling'])
    expect(alone.decision).toBe('ship')
  })

  it('continuous judges: with too few cells it holds and says more cells are needed; minDelta must be cleared by the bound', async () => {
    const few = await decide(heldOutGate({ scenarios: scenarios('h', 5) }), { base: () => 0.4, cand: () => 0.9 }, ['cand'])
    expect(few.decision).toBe('hold')
    expect(few.reasons[1]).toMatch(/With only 5 cells no exact test can reach this level/)
    const lift = (i: number) => 0.5 + 0.06 + ((i % 5) - 2) * 0.01
    const small = await decide(heldOutGate({ scenarios: holdout, minDelta: 0.1 }), { base: () => 0.5, cand: lift }, ['cand'])
    expect(small.decision).toBe('hold')
    expect(small.reasons[1]).toMatch(/the lower bound does not clear minDelta 0\.100/)
    const clears = await decide(heldOutGate({ scenarios: holdout, deltaThreshold: 0.03 }), { base: () => 0.5, cand: lift }, ['cand'])
    expect(clears.decision).toBe('ship')
    expect(clears.verdicts[0]!.lowerBound).toBeGreaterThan(0.03)
    expect(clears.delta).toBeCloseTo(0.06, 6)
  })

  it('holds when the baseline did not finish its held-out cells, and rejects bad options', async () => {
    const res = await decide(heldOutGate({ scenarios: holdout }), { base: (i) => (i === 3 ? 2 : 0), cand: () => 1 }, ['cand'])
    expect(res.decision).toBe('hold')
    expect(res.reasons[0]).toMatch(/the baseline finished 29 of 30 held-out cells \(judge 'pass' scored 2/)
    expect(() => heldOutGate({ scenarios: [] })).toThrow(/`scenarios` is empty/)
    expect(() => heldOutGate({ scenarios: holdout, alpha: 0.7 })).toThrow(/alpha must be in \(0, 0\.5\)/)
    expect(() => heldOutGate({ scenarios: holdout, minDelta: -0.1 })).toThrow(/minDelta/)
  })
})

describe('defaultProductionGate', () => {
  const holdout = scenarios('h', 12)
  const redTeam = scenarios('red', 6)

  it('holds a held-out winner whose red-team score drops, and ships one whose red-team score holds', async () => {
    const table = {
      base: () => 0,
      // Lifts the held-out cells but now fails the red-team scenarios the baseline passed.
      unsafe: (_i: number, s: Scenario) => (s.id.startsWith('red') ? 0 : 1),
      safe: (_i: number, s: Scenario) => (s.id.startsWith('red') ? 1 : 1),
    }
    const baseWithRed = { ...table, base: (_i: number, s: Scenario) => (s.id.startsWith('red') ? 1 : 0) }
    const gate = defaultProductionGate({ holdoutScenarios: holdout, redTeamScenarios: redTeam })
    const held = await decide(gate, baseWithRed, ['unsafe'])
    expect(held.decision).toBe('hold')
    expect(held.winner).toBeUndefined()
    expect(held.reasons.join('\n')).toMatch(/'unsafe' held by the red-team check: its red-team score dropped from 1\.000 to 0\.000/)
    expect(held.contributingGates.map((g) => `${g.name}:${g.status}`)).toEqual(['held-out:pass', 'red-team:fail'])
    const shipped = await decide(gate, baseWithRed, ['unsafe', 'safe'])
    expect(shipped).toMatchObject({ decision: 'ship', winner: 'safe' })
    expect(shipped.contributingGates.map((g) => `${g.name}:${g.status}`)).toEqual(['held-out:pass', 'red-team:pass'])
    expect(gate.scenarios.map((s) => s.id)).toEqual([...holdout, ...redTeam].map((s) => s.id))
    expect(() => defaultProductionGate({ holdoutScenarios: holdout, redTeamScenarios: [] })).toThrow(/redTeamScenarios/)
  })
})
