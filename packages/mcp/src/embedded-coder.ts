/**
 * The bin's embedded coder delegate: no key, no server. Each candidate runs
 * in its own git worktree of the repository (sandbox-local) on a CLI agent
 * through the command harness, run by `createDefaultCoderDelegate`.
 */
import type { LoopSandboxClient, LoopTraceEmitter } from '@tangle-network/agent-runtime-core/loops'
import { DEFAULT_CODER_FANOUT_HARNESSES, parseHarness } from '@tangle-network/agent-runtime-core/profiles'
import { commandHarness, createLocalSandboxClient, type LocalHarness } from '@tangle-network/agent-runtime-sandbox-local'
import { type CoderReviewer, type CoderWinnerSelection, createDefaultCoderDelegate } from './coder-delegate/index.js'
import type { CoderDelegate } from './contracts.js'

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
  /** Reviews each valid candidate; only approved ones can win. */
  reviewer?: CoderReviewer
  /** How the winner is picked among the candidates left. Default `highest-score`. */
  winnerSelection?: CoderWinnerSelection
}

/**
 * A coder delegate over the local sandbox: git worktrees of `repoRoot`, CLI
 * agents through the command harness, run by {@link createDefaultCoderDelegate}
 * (single-shot `coderProfile` for one variant, `multiHarnessCoderFanout` for
 * more; the coder validator with the caller's `forbiddenPaths` and
 * `maxDiffLines`; winner strategies and the optional reviewer gate). Every
 * worktree of a delegation is removed when it ends, also on abort.
 * @experimental
 * @example
 * const server = createMcpServer({ coderDelegate: createLocalCoderDelegate({ fanoutHarnesses: ['claude-code', 'codex'] }) })
 */
export function createLocalCoderDelegate(options: LocalCoderDelegateOptions = {}): CoderDelegate {
  const fanoutHarnesses = options.fanoutHarnesses?.length ? [...options.fanoutHarnesses] : [...DEFAULT_CODER_FANOUT_HARNESSES]
  const harnesses = options.harnesses ?? cliAgentHarnesses(fanoutHarnesses, { timeoutMs: options.commandTimeoutMs })
  return async (args, ctx) => {
    // One local client per delegation, so its worktrees can all be removed when it ends.
    const local = options.sandboxClient ? undefined : createLocalSandboxClient({ root: options.sandboxRoot, harnesses })
    const delegate = createDefaultCoderDelegate({
      executor: options.sandboxClient ?? local!,
      fanoutHarnesses,
      harness: fanoutHarnesses[0],
      maxConcurrency: options.maxConcurrency ?? 4,
      ...(options.reviewer ? { reviewer: options.reviewer } : {}),
      ...(options.winnerSelection ? { winnerSelection: options.winnerSelection } : {}),
      ...(options.traceEmitter ? { traceEmitter: options.traceEmitter } : {}),
      ...(options.commandTimeoutMs !== undefined ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
    })
    try {
      return await delegate(args, ctx)
    } finally {
      await local?.deleteAll().catch(() => {})
    }
  }
}
