import type { DelegatedLoopRunner } from '@tangle-network/agent-runtime-core'
import { type OptimizePromptOptions, type OptimizePromptResult, optimizePrompt } from './optimize-prompt.js'
import type { Scenario } from './types.js'

/**
 * The `self-improve` delegated mode: a runner that optimises a prompt with
 * {@link optimizePrompt} when invoked, aborting with the loop-runner's signal.
 * Register it under `'self-improve'` in a `DelegatedLoopRegistry`.
 * @experimental
 * @example
 * const registry = { 'self-improve': selfImproveLoopRunner({ baselinePrompt, runWithPrompt, scenarios, holdoutScenarios, judges, runDir, reflection: { llm } }) }
 * await runDelegatedLoop('self-improve', registry)
 */
export function selfImproveLoopRunner<S extends Scenario = Scenario, O = unknown>(options: OptimizePromptOptions<S, O>): DelegatedLoopRunner<OptimizePromptResult> {
  return (signal) => {
    const signals = [signal, options.signal].filter((s): s is AbortSignal => s !== undefined)
    return optimizePrompt({ ...options, signal: signals.length > 1 ? AbortSignal.any(signals) : signals[0] })
  }
}
