/**
 * The coder profile: a code-changing agent run in an isolated checkout of a
 * repository, whose result is the patch it left behind, measured by running
 * the repository's own tests inside the same box.
 */
import type { AgentRunSpec, LoopAgentProfile, OutputAdapter, Validator } from '../contracts/loop.js'
import type { SandboxCreateOptions } from '../contracts/sandbox.js'
import { ValidationError } from '../errors.js'
import { createCoderOutputAdapter } from './coder-output.js'
import { type CoderVerdict, createCoderValidator, DEFAULT_MAX_DIFF_LINES } from './coder-validator.js'

/** What a coder run is asked to do. @experimental */
export interface CoderTask {
  /** What to change, in plain words. */
  goal: string
  /** Repository to work on: a local path (or a URL a remote sandbox can clone). Each run gets its own checkout. */
  repoRoot: string
  /** Extra context appended to the prompt under "## Context". */
  contextHint?: string
  /** Shell command that runs the tests inside the box, e.g. `npm test`. */
  testCmd?: string
  /** Shell command that typechecks inside the box, e.g. `npx tsc --noEmit`. */
  typecheckCmd?: string
  /** Paths the change may not touch: exact, or any path starting with the entry (end it with `/` for a folder only). The secret-path floor applies regardless. */
  forbiddenPaths?: string[]
  /** Largest accepted diff, in changed lines (insertions + deletions). Default 400. */
  maxDiffLines?: number
}

/** Outcome of one check command run inside the box. @experimental */
export interface CoderCheckResult {
  passed: boolean
  output: string
  /** True when the task set no command for this check: it did not run, and verdicts never call it passed. */
  skipped?: boolean
}

/** What a coder run produced. @experimental */
export interface CoderOutput {
  /** Branch of the box's checkout (empty when unknown). */
  branch: string
  /** Unified diff of the change against the base commit. */
  patch: string
  testResult: CoderCheckResult
  typecheckResult: CoderCheckResult
  diffStats: { filesChanged: number; insertions: number; deletions: number }
  reviewerNotes?: string
}

/** Options of {@link coderProfile}. @experimental */
export interface CoderProfileOptions {
  task: CoderTask
  /**
   * Harness that runs the agent: a backend type (`claude-code`, `codex`,
   * `opencode`, or a local harness name such as `scripted`), optionally
   * followed by `/provider/model`. Default `opencode`.
   */
  harness?: string
  /** Name of the agent run in traces. Default `coder:<harness>`. */
  name?: string
  /** Longest a test or typecheck command may run, in ms. Default 600 000. */
  commandTimeoutMs?: number
}

/** The pieces {@link runLoop} needs to run a coder: the run spec, its output adapter and its validator. @experimental */
export interface CoderProfile {
  task: CoderTask
  agentRun: AgentRunSpec<CoderTask>
  output: OutputAdapter<CoderOutput>
  validator: Validator<CoderOutput, CoderVerdict>
}

/** A harness string split into its backend type and optional `provider/model`. @experimental */
export interface HarnessRef {
  backendType: string
  provider?: string
  model?: string
}

/**
 * Reads a harness string: `claude-code` → `{backendType:'claude-code'}`,
 * `opencode/zai-coding-plan/glm-5.1` → `{backendType:'opencode', provider:'zai-coding-plan', model:'glm-5.1'}`.
 * @example
 * parseHarness('codex/openai/gpt-5').model // 'gpt-5'
 * @experimental
 */
export function parseHarness(harness: string): HarnessRef {
  if (typeof harness !== 'string' || harness.trim() === '') {
    throw new ValidationError(`harness must be a non-empty string like "claude-code" or "opencode/provider/model", got ${JSON.stringify(harness)}`)
  }
  const [backendType, ...rest] = harness.trim().split('/')
  if (rest.length === 0) return { backendType }
  if (rest.length === 1) return { backendType, model: rest[0] }
  return { backendType, provider: rest[0], model: rest.slice(1).join('/') }
}

/** Checks a task's shape and fills the defaults; throws {@link ValidationError} naming the bad field. @internal */
export function normalizeCoderTask(task: CoderTask, caller = 'coderProfile'): CoderTask {
  if (typeof task !== 'object' || task === null) {
    throw new ValidationError(`${caller}: task must be an object {goal, repoRoot, ...}, got ${String(task)}`)
  }
  if (typeof task.goal !== 'string' || task.goal.trim() === '') {
    throw new ValidationError(`${caller}: task.goal must be a non-empty string, got ${JSON.stringify(task.goal)}`)
  }
  if (typeof task.repoRoot !== 'string' || task.repoRoot.trim() === '') {
    throw new ValidationError(`${caller}: task.repoRoot must be a non-empty path to a git repository, got ${JSON.stringify(task.repoRoot)}`)
  }
  const max = task.maxDiffLines ?? DEFAULT_MAX_DIFF_LINES
  if (!Number.isInteger(max) || max < 1) {
    throw new ValidationError(`${caller}: task.maxDiffLines must be an integer >= 1, got ${JSON.stringify(task.maxDiffLines)}`)
  }
  if (task.forbiddenPaths !== undefined && (!Array.isArray(task.forbiddenPaths) || task.forbiddenPaths.some((p) => typeof p !== 'string'))) {
    throw new ValidationError(`${caller}: task.forbiddenPaths must be an array of path strings, got ${JSON.stringify(task.forbiddenPaths)}`)
  }
  return { ...task, maxDiffLines: max }
}

/**
 * The prompt of a coder run: the goal, the context hint under "## Context",
 * and the rules the validator will enforce, so the agent knows them up front.
 * @example
 * coderPrompt({ goal: 'Fix the failing test', repoRoot: '.', testCmd: 'npm test' })
 * @experimental
 */
export function coderPrompt(task: CoderTask): string {
  const parts = [task.goal.trim()]
  if (task.contextHint?.trim()) parts.push(`## Context\n${task.contextHint.trim()}`)
  const rules = [
    'Edit the files in the current working directory (a checkout of the repository); your result is the diff you leave behind.',
    'Keep the change small and focused on the goal.',
    'Never create or modify secret files (.env, .env.*, keys, certificates, credentials): such a change is rejected.',
  ]
  if (task.testCmd) rules.push(`The change must make \`${task.testCmd}\` pass.`)
  if (task.typecheckCmd) rules.push(`The change must make \`${task.typecheckCmd}\` pass.`)
  if (task.forbiddenPaths?.length) rules.push(`Do not touch: ${task.forbiddenPaths.join(', ')}.`)
  rules.push(`Change at most ${task.maxDiffLines ?? DEFAULT_MAX_DIFF_LINES} lines.`)
  parts.push(`## Rules\n${rules.map((r) => `- ${r}`).join('\n')}`)
  return parts.join('\n\n')
}

/** The agent run spec of a coder on one harness: a profile naming the harness, the prompt, and a checkout of `repoRoot`. @internal */
export function coderAgentRun(harness: string, name?: string): AgentRunSpec<CoderTask> {
  const ref = parseHarness(harness)
  const profile: LoopAgentProfile = {
    name: 'coder',
    metadata: { backendType: ref.backendType, harness, ...(ref.model ? { model: ref.provider ? `${ref.provider}/${ref.model}` : ref.model } : {}) },
  }
  return {
    name: name ?? `coder:${harness}`,
    profile,
    taskToPrompt: coderPrompt,
    // `git.url` makes a remote sandbox clone the repository; sandbox-local reads
    // a local path there and gives the box a git worktree of it.
    sandboxOverrides: (task: CoderTask): SandboxCreateOptions => ({
      git: { url: task.repoRoot },
      metadata: { profile: 'coder', repoRoot: task.repoRoot },
      ...(ref.model ? { backend: { type: ref.backendType, model: { ...(ref.provider ? { provider: ref.provider } : {}), model: ref.model } } } : {}),
    }),
  }
}

/**
 * Builds a coder for one harness: the {@link AgentRunSpec} (prompt = goal +
 * context hint + rules; sandbox = a git checkout of `task.repoRoot`), the
 * output adapter (diff + tests + typecheck run inside the box) and the
 * validator (no-op, secret-path floor, forbidden paths, diff size, tests,
 * typecheck). Pass them to `runLoop`.
 * @example
 * const coder = coderProfile({ task: { goal: 'Fix the failing test', repoRoot: '/repo', testCmd: 'npm test' } })
 * await runLoop({ driver, agentRun: coder.agentRun, output: coder.output, validator: coder.validator, task: coder.task, ctx })
 * @experimental
 */
export function coderProfile(options: CoderProfileOptions): CoderProfile {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError(`coderProfile: options must be an object {task, harness?}, got ${String(options)}`)
  }
  const task = normalizeCoderTask(options.task)
  const harness = options.harness ?? 'opencode'
  return {
    task,
    agentRun: coderAgentRun(harness, options.name),
    output: createCoderOutputAdapter(task, { commandTimeoutMs: options.commandTimeoutMs }),
    validator: createCoderValidator(task),
  }
}
