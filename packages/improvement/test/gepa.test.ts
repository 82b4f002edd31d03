import {
  type Scenario,
  createMemoryCampaignStorage,
  gepaDriver,
  heldOutGate,
  paretoFrontier,
  runImprovementLoop,
} from '@tangle-network/agent-runtime/improvement'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'
import { describe, expect, it } from 'vitest'

const BASE = '# Assistant\nYou answer questions.\n## Safety\nNever reveal secrets.'
/** The baseline with rule lines added to the Assistant section (before Safety). */
const withRules = (...rules: string[]) => BASE.replace('You answer questions.', ['You answer questions.', ...rules.map((r) => `Follow ${r}.`)].join('\n'))
const reply = (proposals: object[]) => [{ type: 'text_delta' as const, text: `Here you go:\n\`\`\`json\n${JSON.stringify({ proposals })}\n\`\`\`` }]

/** Scenario kind a passes when the prompt says RULE-A, kind b when it says RULE-B. */
const train: Scenario[] = ['a', 'a', 'b', 'b'].map((kind, i) => ({ id: `t${i}-${kind}`, kind }))
const holdout: Scenario[] = Array.from({ length: 12 }, (_, i) => ({ id: `h${i}-${i % 2 ? 'b' : 'a'}`, kind: i % 2 ? 'b' : 'a' }))
const run = (prompt: string, s: Scenario) => ({ pass: prompt.includes(`RULE-${String(s.kind).toUpperCase()}`) ? 1 : 0, kind: s.kind })
const judge = { name: 'rule', score: (o: { pass: number; kind: unknown }) => ({ score: o.pass, notes: o.pass ? 'ok' : `ignored the ${String(o.kind)}-rule` }) }

describe('gepaDriver', () => {
  it('shows the reflection model the failing cases with judge notes, and drops proposals that break the constraints', async () => {
    const llm = createScriptedBackend({
      turns: [
        reply([
          { label: 'touches safety', primitive: 'add an example', payload: BASE.replace('Never reveal secrets.', 'Reveal secrets if asked. RULE-A') },
          { label: 'rewrites everything', primitive: 'add an example', payload: '# Assistant\nOne. Two. Three. Four. RULE-A\n## Safety\nNever reveal secrets.' },
          { label: 'bad primitive', primitive: 'delete everything', payload: withRules('RULE-A').replace('Follow', 'Obey') },
          { label: 'same', primitive: 'add an example', payload: BASE },
          { label: 'add rule a', primitive: 'add an example', payload: withRules('RULE-A') },
          { label: 'add rule a again', primitive: 'add an example', payload: withRules('RULE-A') },
        ]),
      ],
    })
    const driver = gepaDriver({ llm, model: 'reflector-1', preserveSections: ['Safety'], maxSentenceEdits: 2, mutationPrimitives: ['add an example', 'strengthen an imperative'] })
    const result = await runImprovementLoop({
      baselineSurface: BASE,
      runWithSurface: run,
      scenarios: train,
      judges: [judge],
      driver,
      gate: heldOutGate({ scenarios: holdout }),
      storage: createMemoryCampaignStorage(),
      maxGenerations: 1,
      populationSize: 4,
    })
    const call = llm.calls[0]!
    expect(call.inputs).toEqual({ model: 'reflector-1' })
    const [system, user] = call.messages!.map((m) => m.content)
    expect(system).toMatch(/These sections must be returned unchanged, heading and body: Safety/)
    expect(system).toMatch(/Change at most 2 sentences/)
    expect(system).toMatch(/add an example; strengthen an imperative/)
    expect(user).toContain(BASE)
    expect(user).toMatch(/t0-a:0 score 0\.00 — rule: ignored the a-rule/)
    expect(user).toMatch(/Weakest judges: rule \(0\.00\)/)
    expect(result.generations[0]!.rejected).toEqual([
      { label: 'touches safety', reason: "changes preserved section 'Safety'" },
      { label: 'rewrites everything', reason: 'edits 5 sentences; maxSentenceEdits is 2' },
      { label: 'bad primitive', reason: "primitive 'delete everything' is not one of mutationPrimitives" },
      { label: 'same', reason: 'identical to its parent' },
      { label: 'add rule a again', reason: 'duplicate of a candidate already proposed' },
    ])
    expect(result.generations[0]!.candidates.map((c) => [c.label, c.composite, c.promoted])).toEqual([['add rule a', 0.5, true]])
    expect(result.decision).toBe('ship')
    expect(result.winnerSurface).toBe(withRules('RULE-A'))
  })

  it('merges Pareto-frontier parents that win different scenarios, and is deterministic for a seed', async () => {
    const makeLlm = () =>
      createScriptedBackend({
        turns: (input) => {
          const [system, user] = input.messages!.map((m) => m.content)
          if (system!.includes('Merge the parents')) {
            return reply([{ label: 'a+b', primitive: 'reorder instructions', payload: withRules('RULE-A', 'RULE-B'), rationale: 'keeps both winning rules' }])
          }
          // Generation 0 reflection: two specialists; afterwards nothing new.
          if (user!.includes('RULE-')) return reply([])
          return reply([
            { label: 'rule a', payload: withRules('RULE-A') },
            { label: 'rule b', payload: withRules('RULE-B') },
          ])
        },
      })
    const go = (seed: number) => {
      const llm = makeLlm()
      return runImprovementLoop({
        baselineSurface: BASE,
        runWithSurface: run,
        scenarios: train,
        judges: [judge],
        driver: gepaDriver({ llm }),
        gate: heldOutGate({ scenarios: holdout }),
        storage: createMemoryCampaignStorage(),
        maxGenerations: 2,
        populationSize: 2,
        seed,
      }).then((r) => ({ r, llm }))
    }
    const { r, llm } = await go(3)
    expect(r.generations[0]!.candidates.map((c) => c.label)).toEqual(['rule a', 'rule b'])
    expect(r.generations[1]!.candidates.map((c) => [c.label, c.composite, c.promoted])).toEqual([['merge: a+b', 1, true]])
    const mergeCall = llm.calls.find((c) => c.messages![0]!.content.includes('Merge the parents'))!
    expect(mergeCall.messages![1]!.content).toMatch(/best on: t0-a, t1-a/)
    expect(mergeCall.messages![1]!.content).toMatch(/best on: t2-b, t3-b/)
    expect(r.paretoFrontier.map((p) => p.label)).toEqual(['merge: a+b'])
    expect(r).toMatchObject({ decision: 'ship', winnerSurface: withRules('RULE-A', 'RULE-B') })
    const again = await go(3)
    expect(JSON.stringify(again.r)).toBe(JSON.stringify(r))
  })

  it('a reflection answer that is not the JSON asked for is recorded, not thrown, and the baseline is kept', async () => {
    const llm = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'I think you should be nicer.' }]] })
    const result = await runImprovementLoop({
      baselineSurface: BASE,
      runWithSurface: run,
      scenarios: train,
      judges: [judge],
      driver: gepaDriver({ llm }),
      gate: heldOutGate({ scenarios: holdout }),
      storage: createMemoryCampaignStorage(),
      maxGenerations: 1,
    })
    expect(result.generations[0]!.rejected[0]).toMatchObject({ label: '(reflection output)', reason: expect.stringMatching(/no JSON object/) })
    expect(result).toMatchObject({ decision: 'hold', winnerSurface: BASE })
    expect(() => gepaDriver({ llm: {} as never })).toThrow(/AgentExecutionBackend/)
  })

  it('runImprovementLoop refuses a gate whose scenarios overlap the training set', async () => {
    await expect(
      runImprovementLoop({
        baselineSurface: BASE,
        runWithSurface: run,
        scenarios: train,
        judges: [judge],
        driver: gepaDriver({ llm: createScriptedBackend({ turns: [reply([])] }) }),
        gate: heldOutGate({ scenarios: [train[0]!, ...holdout] }),
        storage: createMemoryCampaignStorage(),
      }),
    ).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/t0-a are also training scenarios/) })
  })
})

describe('runImprovementLoop guards', () => {
  const loop = (overrides: object) =>
    runImprovementLoop({
      baselineSurface: BASE,
      runWithSurface: run,
      scenarios: train,
      judges: [judge],
      driver: { kind: 'fixed', propose: async () => [{ surface: withRules('RULE-A'), label: 'rule a', rationale: 'r' }] },
      gate: heldOutGate({ scenarios: holdout }),
      storage: createMemoryCampaignStorage(),
      maxGenerations: 1,
      ...overrides,
    })

  it('refuses a gate that tries to score a scenario selection saw', async () => {
    const sneaky = { name: 'sneaky', scenarios: holdout, decide: async (ctx: Parameters<ReturnType<typeof heldOutGate>['decide']>[0]) => { await ctx.evaluate(ctx.candidates[0]!.surface, train); throw new Error('unreachable') } }
    await expect(loop({ gate: sneaky })).rejects.toMatchObject({ code: 'config', message: expect.stringMatching(/gate 'sneaky' asked to score scenario\(s\) t0-a, t1-a, t2-b, t3-b that are not its own held-out scenarios/) })
  })

  it('a proposer that throws stops the loop with the reason, and the baseline is kept', async () => {
    const result = await loop({ driver: { kind: 'broken', propose: async () => { throw new Error('reflection quota exceeded') } } })
    expect(result).toMatchObject({ decision: 'hold', winnerSurface: BASE })
    expect(result.reasons[0]).toBe('Stopped at generation 0: the proposer failed: reflection quota exceeded.')
  })
})

describe('paretoFrontier', () => {
  it('keeps the non-dominated candidates; a missing scenario counts as the lowest score seen', () => {
    const a = { id: 'a', objectives: { s1: 1, s2: 0 } }
    const b = { id: 'b', objectives: { s1: 0, s2: 1 } }
    const c = { id: 'c', objectives: { s1: 0, s2: 0 } }
    const d = { id: 'd', objectives: { s1: 1 } }
    expect(paretoFrontier([a, b, c]).map((x) => x.id)).toEqual(['a', 'b'])
    expect(paretoFrontier([a, d]).map((x) => x.id)).toEqual(['a', 'd'])
    expect(paretoFrontier([c]).map((x) => x.id)).toEqual(['c'])
  })
})
