/**
 * The coder validator: the checker half of maker/checker for code changes.
 * It re-reads the patch itself (never the agent's own stats) and runs every
 * check, so `notes` names each reason a candidate was rejected.
 */
import type { DefaultVerdict, Validator } from '../contracts/loop.js'
import { ValidationError } from '../errors.js'
import type { CoderCheckResult, CoderOutput } from './coder.js'
import { NOT_CONFIGURED_OUTPUT } from './coder-output.js'
import { parseUnifiedDiff } from './diff.js'
import { isForbiddenPath, isSecretPath } from './secret-paths.js'

/** Default largest accepted diff, in changed lines. @experimental */
export const DEFAULT_MAX_DIFF_LINES = 400

/** Names of the coder checks, in the order they run. @experimental */
export const CODER_CHECKS = ['noop', 'secretFloor', 'forbiddenPaths', 'diffSize', 'tests', 'typecheck'] as const

/** One coder check. @experimental */
export type CoderCheckName = (typeof CODER_CHECKS)[number]

/** Verdict of the coder validator. @experimental */
export interface CoderVerdict extends DefaultVerdict {
  /** Per check: 1 passed, 0 failed; `diffSize` is the size term `1 − lines/max` clamped to [0, 1]. */
  scores: Record<CoderCheckName, number>
  /** "passed: …" or every failed check, e.g. "secret-path floor: .env; tests failed: exit 1". */
  notes: string
  /** The checks that failed, in check order. */
  failedChecks: CoderCheckName[]
  /** Paths the patch touches (both sides of renames). */
  touchedPaths: string[]
  /** Changed lines (insertions + deletions) counted from the patch. */
  diffLines: number
}

/** Options of {@link createCoderValidator}; a {@link CoderTask} fits. @experimental */
export interface CoderValidatorOptions {
  /** Paths the change may not touch (exact, or a directory prefix). */
  forbiddenPaths?: readonly string[]
  /** Largest accepted diff in changed lines. Default 400. */
  maxDiffLines?: number
}

/**
 * The coder validator. Checks, in order: no-op (empty patch, or no paths in
 * its headers); the secret-path floor (always on); `forbiddenPaths`; diff
 * lines ≤ `maxDiffLines`; tests passed; typecheck passed. `valid` = every
 * check passed. `score` = 0.5·tests + 0.3·typecheck + 0.2·(1 − lines/max),
 * the size term clamped to [0, 1]; the safety checks gate `valid`, not the
 * score.
 * @example
 * const validator = createCoderValidator({ forbiddenPaths: ['infra/'], maxDiffLines: 200 })
 * const verdict = await validator.validate(output, { iteration: 0 })
 * @experimental
 */
export function createCoderValidator(options: CoderValidatorOptions = {}): Validator<CoderOutput, CoderVerdict> {
  const maxDiffLines = options.maxDiffLines ?? DEFAULT_MAX_DIFF_LINES
  if (!Number.isInteger(maxDiffLines) || maxDiffLines < 1) {
    throw new ValidationError(`createCoderValidator: maxDiffLines must be an integer >= 1, got ${JSON.stringify(options.maxDiffLines)}`)
  }
  const forbidden = [...(options.forbiddenPaths ?? [])]
  return {
    validate(output: CoderOutput): CoderVerdict {
      return checkCoderOutput(output, forbidden, maxDiffLines)
    },
  }
}

function checkCoderOutput(output: CoderOutput, forbidden: readonly string[], maxDiffLines: number): CoderVerdict {
  const patch = typeof output?.patch === 'string' ? output.patch : ''
  const parsed = parseUnifiedDiff(patch)
  const diffLines = parsed.insertions + parsed.deletions
  const failures: { check: CoderCheckName; note: string }[] = []

  if (patch.trim() === '') failures.push({ check: 'noop', note: 'no-op: the patch is empty' })
  else if (parsed.paths.length === 0) failures.push({ check: 'noop', note: 'no-op: the patch names no file paths' })

  const secrets = parsed.paths.filter(isSecretPath)
  if (secrets.length > 0) failures.push({ check: 'secretFloor', note: `secret-path floor: ${secrets.join(', ')}` })

  const blocked = parsed.paths.filter((p) => isForbiddenPath(p, forbidden))
  if (blocked.length > 0) failures.push({ check: 'forbiddenPaths', note: `forbidden path: ${blocked.join(', ')}` })

  if (diffLines > maxDiffLines) {
    failures.push({ check: 'diffSize', note: `diff too large: ${diffLines} changed lines > maxDiffLines ${maxDiffLines}` })
  }

  const tests = output?.testResult?.passed === true
  if (!tests) failures.push({ check: 'tests', note: `tests failed${excerpt(output?.testResult?.output)}` })
  const typecheck = output?.typecheckResult?.passed === true
  if (!typecheck) failures.push({ check: 'typecheck', note: `typecheck failed${excerpt(output?.typecheckResult?.output)}` })

  const sizeTerm = clamp01(1 - diffLines / maxDiffLines)
  const failed = new Set(failures.map((f) => f.check))
  const scores = {} as Record<CoderCheckName, number>
  for (const check of CODER_CHECKS) scores[check] = failed.has(check) ? 0 : 1
  scores.diffSize = failed.has('diffSize') ? 0 : sizeTerm
  const score = clamp01(0.5 * (tests ? 1 : 0) + 0.3 * (typecheck ? 1 : 0) + 0.2 * sizeTerm)
  const valid = failures.length === 0
  // A check the task set no command for did not run: name it as such, never as passed.
  const notRun = (['tests', 'typecheck'] as const).filter((c) => isNotConfigured(c === 'tests' ? output?.testResult : output?.typecheckResult))
  const ran = (['tests', 'typecheck'] as const).filter((c) => !notRun.includes(c))
  const notes = valid
    ? `passed: ${[...ran, `${diffLines} changed line${diffLines === 1 ? '' : 's'} of ${maxDiffLines} allowed`].join(', ')}` +
      (notRun.length > 0 ? `; not configured: ${notRun.join(', ')}` : '')
    : failures.map((f) => f.note).join('; ')
  return {
    valid,
    score,
    scores,
    notes,
    failedChecks: CODER_CHECKS.filter((c) => failed.has(c)),
    touchedPaths: parsed.paths,
    diffLines,
  }
}

const FAILURE_LINE = /\b(error|fail(ed|ure|s)?|not ok|assert\w*|expected)\b/i

/** The line of a command's output that best says why it failed (the first failure-looking line, else the last), short. */
function excerpt(output: unknown): string {
  if (typeof output !== 'string') return ''
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
  const line = lines.find((l) => FAILURE_LINE.test(l)) ?? lines[lines.length - 1]
  if (!line) return ''
  return `: ${line.length > 120 ? `${line.slice(0, 119)}…` : line}`
}

function clamp01(x: number): number {
  if (!Number.isFinite(x)) return 0
  return Math.min(1, Math.max(0, x))
}

/** True for a check result that records no command run (the adapter's `skipped`, or an agent's "not configured" report). */
function isNotConfigured(result: CoderCheckResult | undefined): boolean {
  return result?.skipped === true || result?.output === NOT_CONFIGURED_OUTPUT
}
