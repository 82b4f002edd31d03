/**
 * The coder output adapter: measures what a coder run actually left in its
 * box rather than trusting what the agent says. The patch comes from the box
 * (`git.diff()`, else `git diff` through `exec`), and the test and typecheck
 * commands run inside the box through `exec`. Only when the box can do
 * neither does the adapter fall back to the agent's own report (a `result`,
 * `final` or `coder.result` event, or a fenced JSON block).
 */
import type { OutputAdapter } from '../contracts/loop.js'
import type { SandboxBox, SandboxEvent } from '../contracts/sandbox.js'
import { createAbortError, errorMessage, isAbortError, ValidationError } from '../errors.js'
import type { CoderCheckResult, CoderOutput, CoderTask } from './coder.js'
import { parseUnifiedDiff } from './diff.js'
import { isRecord, readReportedObject } from './envelope.js'

/** Event types whose payload may carry an agent-reported {@link CoderOutput}. @experimental */
export const CODER_RESULT_EVENT_TYPES: readonly string[] = ['coder.result', 'result', 'final']

/** Output recorded for a check whose command the task does not configure. @experimental */
export const NOT_CONFIGURED_OUTPUT = 'not configured'

/** Longest command output kept on a {@link CoderCheckResult}; the tail is kept, where failures are reported. */
const MAX_CHECK_OUTPUT_CHARS = 8192

/** Default command timeout: ten minutes, like a CI step. */
const DEFAULT_COMMAND_TIMEOUT_MS = 600_000

/** Options of {@link createCoderOutputAdapter}. @experimental */
export interface CoderOutputAdapterOptions {
  /** Longest a test or typecheck command may run, in ms. Default 600 000. */
  commandTimeoutMs?: number
}

/**
 * The output adapter of {@link coderProfile}. `parse(events, {box})` returns
 * a {@link CoderOutput}:
 * - `patch`: `box.git.diff()`, else `git diff HEAD` (new files included) via `box.exec`, else the agent's report.
 * - `testResult` / `typecheckResult`: the task's `testCmd` / `typecheckCmd` run in the box (exit 0 = passed).
 *   A command the task does not set counts as passed with output `'not configured'`: the caller did
 *   not ask for that check. When the box cannot `exec`, the agent's reported results are used, and
 *   a configured command without any report fails.
 * - `diffStats`: counted from the patch.
 * Throws {@link ValidationError} when neither the box nor the events yield a patch.
 * @example
 * const output = await createCoderOutputAdapter({ goal: 'fix', repoRoot: '.', testCmd: 'npm test' }).parse(events, { box })
 * @experimental
 */
export function createCoderOutputAdapter(task: CoderTask, options: CoderOutputAdapterOptions = {}): OutputAdapter<CoderOutput> {
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS
  return {
    async parse(events: SandboxEvent[], ctx?: { box?: SandboxBox; signal?: AbortSignal }): Promise<CoderOutput> {
      const box = ctx?.box
      const signal = ctx?.signal
      const reported = readReportedCoderOutput(events)
      const measuredPatch = box ? await readBoxPatch(box, signal) : undefined
      const patch = measuredPatch ?? reported?.patch
      if (patch === undefined) {
        throw new ValidationError(
          'coder output: no patch available: the sandbox has neither git.diff() nor exec(), and no coder.result/result/final event or fenced JSON block carried a "patch" string. Give the box git access or have the agent report {patch, testResult, ...}.',
        )
      }
      const canExec = typeof box?.exec === 'function'
      const runCheck = async (command: string | undefined, fromReport: CoderCheckResult | undefined, label: string): Promise<CoderCheckResult> => {
        if (!command) return { passed: true, output: NOT_CONFIGURED_OUTPUT, skipped: true }
        if (canExec && box) return execCheck(box, command, timeoutMs, signal)
        return fromReport ?? { passed: false, output: `${label} command \`${command}\` could not run: the sandbox has no exec() and the agent reported no result` }
      }
      const testResult = await runCheck(task.testCmd, reported?.testResult, 'test')
      const typecheckResult = await runCheck(task.typecheckCmd, reported?.typecheckResult, 'typecheck')
      const parsed = parseUnifiedDiff(patch)
      const branch = (canExec && box ? await readBranch(box, signal) : undefined) ?? reported?.branch ?? ''
      const out: CoderOutput = {
        branch,
        patch,
        testResult,
        typecheckResult,
        diffStats: { filesChanged: parsed.files.length, insertions: parsed.insertions, deletions: parsed.deletions },
      }
      if (reported?.reviewerNotes !== undefined) out.reviewerNotes = reported.reviewerNotes
      return out
    },
  }
}

/** The fields of a {@link CoderOutput} an agent reported, each only when present with the right type. @experimental */
export interface ReportedCoderOutput {
  patch?: string
  branch?: string
  testResult?: CoderCheckResult
  typecheckResult?: CoderCheckResult
  reviewerNotes?: string
}

/**
 * Reads an agent-reported {@link CoderOutput} from events: the last
 * `coder.result`/`result`/`final` payload with a `patch` string, else a fenced
 * JSON block with one. Fields of the wrong type are dropped.
 * @example
 * readReportedCoderOutput([{ type: 'coder.result', data: { patch: '' } }])?.patch // ''
 * @experimental
 */
export function readReportedCoderOutput(events: readonly SandboxEvent[]): ReportedCoderOutput | undefined {
  const found = readReportedObject(events, CODER_RESULT_EVENT_TYPES, (v) => typeof v.patch === 'string')
  if (!found) return undefined
  const out: ReportedCoderOutput = { patch: found.patch as string }
  if (typeof found.branch === 'string') out.branch = found.branch
  const test = toCheck(found.testResult)
  if (test) out.testResult = test
  const typecheck = toCheck(found.typecheckResult)
  if (typecheck) out.typecheckResult = typecheck
  if (typeof found.reviewerNotes === 'string') out.reviewerNotes = found.reviewerNotes
  return out
}

function toCheck(value: unknown): CoderCheckResult | undefined {
  if (!isRecord(value) || typeof value.passed !== 'boolean') return undefined
  return { passed: value.passed, output: typeof value.output === 'string' ? value.output : '' }
}

/** The box's diff against its base: `git.diff()`, else `git diff HEAD` via exec; undefined when neither works. */
async function readBoxPatch(box: SandboxBox, signal: AbortSignal | undefined): Promise<string | undefined> {
  if (box.git && typeof box.git.diff === 'function') {
    try {
      const diff = await box.git.diff()
      if (typeof diff?.raw === 'string') return diff.raw
    } catch (err) {
      if (isAbortError(err) || signal?.aborted) throw err
      // fall through to exec
    }
  }
  if (typeof box.exec === 'function') {
    throwIfAborted(signal)
    // `add -A -N` (intent to add) makes new files show up in `git diff` without staging their content.
    const result = await box.exec('git add -A -N && git -c core.quotepath=false diff --no-color --no-ext-diff HEAD')
    if (result.exitCode === 0) return result.stdout
  }
  return undefined
}

async function readBranch(box: SandboxBox, signal: AbortSignal | undefined): Promise<string | undefined> {
  throwIfAborted(signal)
  try {
    const result = await box.exec!('git rev-parse --abbrev-ref HEAD')
    const name = result.stdout.trim()
    return result.exitCode === 0 && name ? name : undefined
  } catch (err) {
    if (isAbortError(err)) throw err
    return undefined
  }
}

/** Runs a check command in the box: exit 0 passes; an exec failure is a failed check, not a crash. */
async function execCheck(box: SandboxBox, command: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<CoderCheckResult> {
  throwIfAborted(signal)
  try {
    // `signal` is not in the SandboxBox contract yet; boxes that accept it (sandbox-local) stop the command on abort.
    const execOptions = { timeoutMs, signal }
    const result = await box.exec!(command, execOptions)
    const text = [result.stdout, result.stderr].filter((s) => s && s.length > 0).join('\n')
    const output = text.length > MAX_CHECK_OUTPUT_CHARS ? `…${text.slice(-MAX_CHECK_OUTPUT_CHARS)}` : text
    return { passed: result.exitCode === 0, output: result.exitCode === 0 ? output : `exit ${result.exitCode}\n${output}` }
  } catch (err) {
    if (isAbortError(err) || signal?.aborted) throw isAbortError(err) ? err : createAbortError('aborted', err)
    return { passed: false, output: `could not run \`${command}\`: ${errorMessage(err)}` }
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw createAbortError('aborted', signal.reason)
}
