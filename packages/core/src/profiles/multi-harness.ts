/**
 * A coder fan-out across harnesses: the same task handed to several coding
 * agents at once, each in its own checkout, and the best valid patch wins.
 * Unlike the reference, the validator is built from the task, so the
 * caller's `forbiddenPaths` and `maxDiffLines` hold in fan-out too.
 */
import type { AgentRunSpec, OutputAdapter, Validator } from '../contracts/loop.js'
import { ValidationError } from '../errors.js'
import { createFanoutVoteDriver, type FanoutVoteDriver } from '../loops/kernel/drivers/fanout-vote.js'
import { type CoderOutput, type CoderTask, coderAgentRun, normalizeCoderTask, parseHarness } from './coder.js'
import { createCoderOutputAdapter } from './coder-output.js'
import { type CoderVerdict, createCoderValidator } from './coder-validator.js'

/** Harnesses a coder fan-out uses when none are named. @experimental */
export const DEFAULT_CODER_FANOUT_HARNESSES: readonly string[] = ['claude-code', 'codex', 'opencode/zai-coding-plan/glm-5.1']

/** Options of {@link multiHarnessCoderFanout}. @experimental */
export interface MultiHarnessCoderFanoutOptions {
  task: CoderTask
  /** Harness strings (see `parseHarness`). Default {@link DEFAULT_CODER_FANOUT_HARNESSES}. */
  harnesses?: readonly string[]
  /**
   * Number of candidates. Default: one per harness. Fewer than the harnesses
   * uses the first `n`; more cycles over them.
   */
  n?: number
  /** Longest a test or typecheck command may run, in ms. Default 600 000. */
  commandTimeoutMs?: number
}

/** The pieces `runLoop` needs for a coder fan-out; spread it into `runLoop` and add `ctx`. @experimental */
export interface MultiHarnessCoderFanout {
  task: CoderTask
  agentRuns: AgentRunSpec<CoderTask>[]
  /** The fan-out-vote driver; `runLoop` applies its vote (`selectWinner`) unless the caller passes one. */
  driver: FanoutVoteDriver<CoderTask, CoderOutput, CoderVerdict>
  /** `n`: the loop's iteration cap, so every candidate runs (the `runLoop` default of 10 would cut a larger fan-out). */
  maxIterations: number
  output: OutputAdapter<CoderOutput>
  validator: Validator<CoderOutput, CoderVerdict>
}

/**
 * Builds a fan-out of one coder task over several harnesses: one agent run
 * per harness (named `coder:<harness>`), a fan-out-vote driver with `n`
 * candidates, the coder output adapter, and a validator that honours the
 * task's `forbiddenPaths` and `maxDiffLines` on top of the secret-path floor.
 * @example
 * const fanout = multiHarnessCoderFanout({ task: { goal: 'Fix the failing test', repoRoot: '/repo', testCmd: 'npm test' } })
 * const result = await runLoop({ ...fanout, ctx: { sandboxClient } })
 * @experimental
 */
export function multiHarnessCoderFanout(options: MultiHarnessCoderFanoutOptions): MultiHarnessCoderFanout {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(`multiHarnessCoderFanout: options must be an object {task, harnesses?, n?}, got ${String(options)}`)
  }
  const task = normalizeCoderTask(options.task, 'multiHarnessCoderFanout')
  const harnesses = options.harnesses ?? DEFAULT_CODER_FANOUT_HARNESSES
  if (!Array.isArray(harnesses) || harnesses.length === 0) {
    throw new ValidationError(`multiHarnessCoderFanout: harnesses must name at least one harness, got ${JSON.stringify(harnesses)}`)
  }
  for (const harness of harnesses) parseHarness(harness)
  const n = options.n ?? harnesses.length
  if (!Number.isInteger(n) || n < 1) {
    throw new ValidationError(`multiHarnessCoderFanout: n must be an integer >= 1, got ${JSON.stringify(options.n)}`)
  }
  const used = harnesses.slice(0, Math.min(n, harnesses.length))
  const seen = new Map<string, number>()
  const agentRuns = used.map((harness) => {
    // Two entries with the same harness still get distinct run names.
    const count = (seen.get(harness) ?? 0) + 1
    seen.set(harness, count)
    return coderAgentRun(harness, count === 1 ? `coder:${harness}` : `coder:${harness}#${count}`)
  })
  return {
    task,
    agentRuns,
    driver: createFanoutVoteDriver<CoderTask, CoderOutput, CoderVerdict>({ n }),
    maxIterations: n,
    output: createCoderOutputAdapter(task, { commandTimeoutMs: options.commandTimeoutMs }),
    validator: createCoderValidator(task),
  }
}
