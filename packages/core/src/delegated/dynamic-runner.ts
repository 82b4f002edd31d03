import type { AgentRunSpec, DefaultVerdict, LoopResult, LoopSandboxClient, OutputAdapter, Validator } from '../contracts/loop.js'
import type { LoopBudget } from '../loop-ops/budget.js'
import { createDynamicDriver, type DynamicDriverOptions } from '../loops/dynamic/dynamic-driver.js'
import { runLoop } from '../loops/kernel/run-loop.js'
import type { DelegatedLoopRunner } from './run-delegated-loop.js'

/** Options of {@link dynamicLoopRunner}. Pass exactly one of `agentRun` and `agentRuns`. @experimental */
export interface DynamicLoopRunnerOptions<Task, Output, Verdict extends DefaultVerdict = DefaultVerdict> {
  sandboxClient: LoopSandboxClient
  planner: DynamicDriverOptions<Task, Output, Verdict>['planner']
  task: Task
  output: OutputAdapter<Output>
  /** Default: every output is valid with score 1. */
  validator?: Validator<Output, Verdict>
  agentRun?: AgentRunSpec<Task>
  agentRuns?: readonly AgentRunSpec<Task>[]
  maxIterations?: number
  maxFanout?: number
  analyze?: DynamicDriverOptions<Task, Output, Verdict>['analyze']
  /** Hard caps (see `runLoop`); `runDelegatedLoop`'s budget wins when both are set. */
  budget?: LoopBudget
}

/**
 * A delegated `dynamic` runner: `runLoop` with `createDynamicDriver`, so the
 * planner picks refine, fan-out or stop each round.
 * @experimental
 * @example
 * const registry = { dynamic: dynamicLoopRunner({ sandboxClient, planner, task, output, agentRun }) }
 */
export function dynamicLoopRunner<Task, Output, Verdict extends DefaultVerdict = DefaultVerdict>(
  options: DynamicLoopRunnerOptions<Task, Output, Verdict>,
): DelegatedLoopRunner<LoopResult<Task, Output, string, Verdict>> {
  const driver = () =>
    createDynamicDriver<Task, Output, Verdict>({
      planner: options.planner,
      ...(options.maxIterations !== undefined ? { maxIterations: options.maxIterations } : {}),
      ...(options.maxFanout !== undefined ? { maxFanout: options.maxFanout } : {}),
      ...(options.analyze ? { analyze: options.analyze } : {}),
    })
  driver() // fail loud on bad options when the registry is built, not at 3 a.m.
  const validator = options.validator ?? ({ validate: () => ({ valid: true, score: 1 }) as unknown as Verdict } satisfies Validator<Output, Verdict>)
  return async (signal, context) => {
    const budget = context?.budget ?? options.budget
    return (await runLoop<Task, Output, string, Verdict>({
      driver: driver() as never,
      ...(options.agentRuns ? { agentRuns: options.agentRuns } : { agentRun: options.agentRun as AgentRunSpec<Task> }),
      output: options.output,
      validator,
      task: options.task,
      ...(options.maxIterations !== undefined ? { maxIterations: options.maxIterations } : {}),
      ...(budget ? { budget } : {}),
      ctx: { sandboxClient: options.sandboxClient, signal },
    })) as LoopResult<Task, Output, string, Verdict>
  }
}
