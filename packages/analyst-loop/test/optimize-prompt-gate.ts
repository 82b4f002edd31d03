/**
 * Test helper: the prompt surface's `promote` over `/improvement`'s
 * `optimizePrompt`. Its driver proposes exactly the analyst's edit, so the
 * held-out gate decides on that edit alone: it ships only when the edit beats
 * the baseline on the training scenarios and the gate proves the lift on the
 * held-out ones.
 */
import type { PromotePrompt } from '@tangle-network/agent-runtime/analyst-loop'
import { createMemoryCampaignStorage, type Judge, optimizePrompt, type Scenario } from '@tangle-network/agent-runtime/improvement'

export interface OptimizePromptGateOptions<S extends Scenario, O> {
  scenarios: readonly S[]
  holdoutScenarios: readonly S[]
  judges: readonly Judge<S, O>[]
  runWithPrompt(prompt: string, scenario: S): Promise<O>
  runDir: string
}

export function optimizePromptGate<S extends Scenario, O>(options: OptimizePromptGateOptions<S, O>): PromotePrompt {
  return async (request) => {
    const result = await optimizePrompt<S, O>({
      baselinePrompt: request.baselinePrompt,
      runWithPrompt: (prompt, scenario) => options.runWithPrompt(prompt, scenario),
      scenarios: options.scenarios,
      holdoutScenarios: options.holdoutScenarios,
      judges: options.judges,
      runDir: options.runDir,
      storage: createMemoryCampaignStorage(),
      driver: { kind: 'analyst-proposal', propose: async () => [{ surface: request.candidatePrompt, label: request.sourceFindingId, rationale: request.rationale }] },
      populationSize: 1,
      maxGenerations: 1,
    })
    return { decision: result.decision, reasons: result.reasons, delta: result.delta }
  }
}
