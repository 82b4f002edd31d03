/** Loop kernel: `runLoop`, its options and helpers, the refine and fan-out-vote drivers, and executors. */
export { runLoop, isTerminalDecision } from './run-loop.js'
export {
  type RunLoopOptions,
  type SelectWinner,
  DEFAULT_LOOP_MAX_ITERATIONS,
  DEFAULT_LOOP_MAX_CONCURRENCY,
} from './options.js'
export { buildIterationSandboxOptions, DEFAULT_LOOP_BACKEND_TYPE } from './iteration.js'
export { defaultSelectWinner, selectBestValid, inferBranchPoint } from './winner.js'
export { hashTraceValue, previewOutput, LOOP_OUTPUT_PREVIEW_CHARS } from './trace.js'
export { createRefineDriver, type RefineDecision, type RefineDriverOptions } from './drivers/refine.js'
export {
  createFanoutVoteDriver,
  type FanoutVoteDecision,
  type FanoutVoteDriver,
  type FanoutVoteDriverOptions,
  type FanoutSelector,
} from './drivers/fanout-vote.js'
export {
  createSiblingSandboxExecutor,
  createFleetWorkspaceExecutor,
  detectExecutor,
  assertFleetHandle,
  type LoopExecutor,
  type FleetMachineSelector,
  type FleetWorkspaceExecutorOptions,
  type DetectExecutorOptions,
} from './executors.js'
export type {
  AgentRunSpec,
  DefaultVerdict,
  Driver,
  Iteration,
  LoopAgentProfile,
  LoopExecCtx,
  LoopMoveKind,
  LoopPlacement,
  LoopResult,
  LoopRunHandle,
  LoopSandboxClient,
  LoopTraceEmitter,
  LoopTraceEvent,
  LoopTraceEventKind,
  LoopTracePayloads,
  LoopWinner,
  OutputAdapter,
  PlanDescription,
  TokenUsage,
  ValidateContext,
  Validator,
} from '../../contracts/loop.js'
export { TERMINAL_LOOP_DECISIONS } from '../../contracts/loop.js'
