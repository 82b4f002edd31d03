/**
 * The bin's embedded coder delegate: no key, no server. Each candidate runs
 * in its own git worktree of the repository (sandbox-local) on a CLI agent
 * through the command harness; one variant is a single-shot `coderProfile`,
 * more is `multiHarnessCoderFanout` over the named harnesses. A minimal
 * delegate written against the shared `CoderDelegate` contract.
 */
import { type Driver, type LoopTraceEvent, runLoop } from '@tangle-network/agent-runtime-core/loops'
import {
  type CoderOutput,
  type CoderTask,
  coderProfile,
  DEFAULT_CODER_FANOUT_HARNESSES,
  multiHarnessCoderFanout,
  parseHarness,
} from '@tangle-network/agent-runtime-core/profiles'
import type { LoopSandboxClient, LoopTraceEmitter } from '@tangle-network/agent-runtime-core/loops'
import { commandHarness, createLocalSandboxClient, type LocalHarness } from '@tangle-network/agent-runtime-sandbox-local'
import type { CoderDelegate, CoderDelegateOutput, DelegateCodeArgs } from './contracts.js'

/** API-key variables each CLI agent may see (everything else of the parent env is withheld). @experimental */
export const CLI_AGENT_ENV_ALLOWLISTS: Readonly<Record<string, readonly string[]>> = {
  'claude-code': ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_OAUTH_TOKEN'],
  codex: ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'CODEX_HOME'],
  opencode: ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OPENROUTER_API_KEY', 'ZAI_API_KEY', 'ZHIPU_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY'],
}

/**
 * Command harnesses for CLI agents by harness string: `claude-code` runs
 * `claude -p`, `codex` runs `codex exec`, `opencode` runs `opencode run`
 * (with `-m provider/model` when the harness string names one). Keyed by
 * backend type, the key the local sandbox picks a harness by.
 * @experimental
 * @example
 * const harnesses = cliAgentHarnesses(['claude-code', 'codex'])
 */
export function cliAgentHarnesses(names: readonly string[], options: { timeoutMs?: number } = {}): Record<string, LocalHarness> {
  const out: Record<string, LocalHarness> = {}
  for (const name of names) {
    const ref = parseHarness(name)
    if (out[ref.backendType]) continue
    const envAllowlist = CLI_AGENT_ENV_ALLOWLISTS[ref.backendType]
    if (ref.backendType === 'claude-code') {
      out[ref.backendType] = commandHarness({ command: 'claude', args: ['-p', '{prompt}'], envAllowlist, timeoutMs: options.timeoutMs, name: 'claude-code' })
    } else if (ref.backendType === 'codex') {
      out[ref.backendType] = commandHarness({ command: 'codex', args: ['exec', '{prompt}'], envAllowlist, timeoutMs: options.timeoutMs, name: 'codex' })
    } else if (ref.backendType === 'opencode') {
      const model = ref.model ? ['-m', ref.provider ? `${ref.provider}/${ref.model}` : ref.model] : []
      out[ref.backendType] = commandHarness({ command: 'opencode', args: ['run', ...model, '{prompt}'], envAllowlist, timeoutMs: options.timeoutMs, name: 'opencode' })
    }
  }
  return out
}

/** Options of {@link createLocalCoderDelegate}. @experimental */
export interface LocalCoderDelegateOptions {
  /** Runs candidates here instead of the local sandbox (a sandbox client or an executor); then `harnesses` and `sandboxRoot` are unused. */
  sandboxClient?: LoopSandboxClient
  /** Harnesses of the local sandbox by backend type. Default: {@link cliAgentHarnesses} of `fanoutHarnesses`. */
  harnesses?: Record<string, LocalHarness>
  /** Harness strings, in order; a fan-out uses the first `variants`. Default `claude-code, codex, opencode/zai-coding-plan/glm-5.1`. */
  fanoutHarnesses?: readonly string[]
  /** Candidates running at once within one delegation. Default 4. */
  maxConcurrency?: number
  /** Where worktrees go; default a folder under the OS temp dir. */
  sandboxRoot?: string
  /** Longest a test or typecheck command may run, in ms. */
  commandTimeoutMs?: number
  /** Also receives every loop trace event (for example `createPropagatingTraceEmitter` for OTEL). */
  traceEmitter?: LoopTraceEmitter
}

function toTask(args: DelegateCodeArgs): CoderTask {
  return {
    goal: args.goal,
    repoRoot: args.repoRoot,
    ...(args.contextHint !== undefined ? { contextHint: args.contextHint } : {}),
    ...(args.config?.testCmd !== undefined ? { testCmd: args.config.testCmd } : {}),
    ...(args.config?.typecheckCmd !== undefined ? { typecheckCmd: args.config.typecheckCmd } : {}),
    ...(args.config?.forbiddenPaths !== undefined ? { forbiddenPaths: args.config.forbiddenPaths } : {}),
    ...(args.config?.maxDiffLines !== undefined ? { maxDiffLines: args.config.maxDiffLines } : {}),
  }
}

const singleShot: Driver<CoderTask, CoderOutput, string> = {
  name: 'single-shot',
  plan: (task, history) => (history.length === 0 ? [task] : []),
  decide: (history) => (history.some((it) => it.verdict?.valid) ? 'pick-winner' : 'fail'),
}

/**
 * A coder delegate over the local sandbox: git worktrees of `repoRoot`, CLI
 * agents through the command harness, the coder validator (no-op rejection,
 * secret-path floor, the caller's `forbiddenPaths` and `maxDiffLines`, tests,
 * typecheck). Reports `{iteration, phase}` as candidates start and end, adds
 * the loop's cost, and throws "coder delegate: no candidate passed
 * validation" when nothing wins. Every worktree is removed, also on abort.
 * @experimental
 * @example
 * const server = createMcpServer({ coderDelegate: createLocalCoderDelegate({ fanoutHarnesses: ['claude-code', 'codex'] }) })
 */
export function createLocalCoderDelegate(options: LocalCoderDelegateOptions = {}): CoderDelegate {
  const fanoutHarnesses = options.fanoutHarnesses?.length ? [...options.fanoutHarnesses] : [...DEFAULT_CODER_FANOUT_HARNESSES]
  const harnesses = options.harnesses ?? cliAgentHarnesses(fanoutHarnesses, { timeoutMs: options.commandTimeoutMs })
  return async (args, ctx) => {
    const task = toTask(args)
    const local = options.sandboxClient ? undefined : createLocalSandboxClient({ root: options.sandboxRoot, harnesses })
    const sandboxClient: LoopSandboxClient = options.sandboxClient ?? local!
    const variants = args.variants ?? 1
    const traceEmitter = {
      emit(event: LoopTraceEvent) {
        const p = event.payload as { iterationIndex?: number }
        if (event.kind === 'loop.iteration.started') ctx.report({ iteration: p.iterationIndex ?? 0, phase: 'starting' })
        else if (event.kind === 'loop.iteration.ended') ctx.report({ iteration: p.iterationIndex ?? 0, phase: 'completed' })
        return options.traceEmitter?.emit(event)
      },
    }
    const loopCtx = { sandboxClient, signal: ctx.signal, traceEmitter }
    try {
      const result =
        variants <= 1
          ? await (() => {
              const coder = coderProfile({ task, harness: fanoutHarnesses[0], commandTimeoutMs: options.commandTimeoutMs })
              return runLoop({ driver: singleShot, agentRun: coder.agentRun, output: coder.output, validator: coder.validator, task: coder.task, ctx: loopCtx, maxIterations: 1 })
            })()
          : await runLoop({
              ...multiHarnessCoderFanout({ task, harnesses: fanoutHarnesses.slice(0, variants), n: variants, commandTimeoutMs: options.commandTimeoutMs }),
              ctx: loopCtx,
              maxConcurrency: options.maxConcurrency ?? 4,
            })
      if (result.costUsd > 0) ctx.addCost?.(result.costUsd)
      const winner = result.winner
      if (!winner?.verdict?.valid) {
        // Say why each candidate lost, so the calling agent can adjust the goal or config.
        const why = result.iterations.map((it) => `${it.agentRunName}: ${it.error ?? ((it.verdict as { failedChecks?: string[] } | undefined)?.failedChecks?.join(', ') || 'invalid')}`)
        throw new Error(`coder delegate: no candidate passed validation (${why.join('; ') || 'no candidate ran'})`)
      }
      const out: CoderDelegateOutput = {
        winnerIndex: winner.iterationIndex,
        output: winner.output,
        score: winner.verdict.score,
        candidates: result.iterations.length,
      }
      if (variants > 1) out.harness = winner.agentRunName.replace(/^coder:/, '').replace(/#\d+$/, '')
      return out
    } finally {
      await local?.deleteAll().catch(() => {})
    }
  }
}
