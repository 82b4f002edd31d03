import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type AutonomyLevel,
  type BudgetBreaker,
  createBudgetBreaker,
  createGatePolicy,
  formatBudgetLine,
  readRunLog,
  renderStateMd,
  runTick,
  stateHalted,
  type TickBackend,
  type TickResult,
  type TickWorkspace,
} from '@tangle-network/agent-runtime-core'
import { buildPlan, type ExecutionPlan } from './plan.js'
import type { LoopPattern } from './patterns.js'
import { appendRunLogFile, createKillSwitch, openBudgetLedger, writeFileAtomic } from './node-io.js'

/** Options of {@link runPattern}. @experimental */
export interface RunPatternOptions {
  pattern: LoopPattern
  /** The pattern's LOOP.md body; the agent gets it as instructions. */
  instructions?: string
  level?: AutonomyLevel
  /** The repository (and where `STATE.md`, `loop-run-log.md` and `.agent-runtime/` live). */
  root: string
  backend: TickBackend
  workspace: TickWorkspace
  ticks?: number
  dryRun?: boolean
  dailyCap?: number
  /** `postgres://…` or a SQLite path. Default `<root>/.agent-runtime/ledger.db`. */
  ledger?: string
  timezone?: string
  clock?: () => number
  env?: Record<string, string | undefined>
  signal?: AbortSignal
  onProgress?(line: string): void
}

/** What a run did, ready to print. @experimental */
export interface PatternRunSummary {
  patternId: string
  name: string
  level: AutonomyLevel
  backend: string
  dryRun: boolean
  ticks: TickResult[]
  /** Set when the budget or the kill-switch stopped the run. */
  halted?: { kind: string; reason?: string }
  spentToday: number
  dailyTokenCap?: number
  budgetLine: string
  plan: ExecutionPlan
}

/**
 * Runs ticks of a pattern: budget breaker over the ledger (with the
 * kill-switch), one {@link runTick} per tick, and the state spine written
 * after each (`STATE.md` and `loop-run-log.md`, atomically). A dry run
 * records its scripted usage in the ledger like a real run.
 * @experimental
 * @example
 * const summary = await runPattern({ pattern, level: 'L2', root: process.cwd(), backend: createScriptedTickBackend(), workspace: createGitWorkspace({ repoRoot: process.cwd() }), dryRun: true })
 */
export async function runPattern(options: RunPatternOptions): Promise<PatternRunSummary> {
  const plan = buildPlan(options.pattern, { ...(options.level ? { level: options.level } : {}), ...(options.dailyCap !== undefined ? { dailyCap: options.dailyCap } : {}) })
  const clock = options.clock ?? (() => Date.now())
  const statePath = join(options.root, 'STATE.md')
  const logPath = join(options.root, 'loop-run-log.md')
  const opened = await openBudgetLedger(options.ledger ?? join(options.root, '.agent-runtime', 'ledger.db'))
  const breaker: BudgetBreaker = createBudgetBreaker({
    ledger: opened.ledger,
    ...(plan.dailyTokenCap !== undefined ? { dailyTokenCap: plan.dailyTokenCap } : {}),
    timezone: options.timezone ?? 'UTC',
    clock,
    scope: plan.patternId,
    killSwitch: createKillSwitch(options.root, { statePath, ...(options.env ? { env: options.env } : {}) }),
  })
  const ticks: TickResult[] = []
  let halted: PatternRunSummary['halted']
  try {
    const gate = createGatePolicy(plan.gate)
    const count = options.ticks ?? 1
    for (let i = 1; i <= count; i++) {
      if (options.signal?.aborted) break
      const failedAttempts = trailingRejections(existsSync(logPath) ? readFileSync(logPath, 'utf8') : undefined, plan.patternId)
      const result = await runTick({
        failedAttempts,
        pattern: { id: plan.patternId, name: plan.name, goal: plan.goal, ...(options.instructions ? { instructions: options.instructions } : {}) },
        level: plan.level,
        backend: options.backend,
        workspace: options.workspace,
        gate,
        breaker,
        tick: i,
        clock,
        ...(options.signal ? { signal: options.signal } : {}),
        onPhase: (p) => options.onProgress?.(`tick ${i}/${count}: ${p}`),
      })
      ticks.push(result)
      const spent = (await breaker.status()).spent.tokens
      const budgetLine = formatBudgetLine(spent, plan.dailyTokenCap)
      options.onProgress?.(`tick ${i}/${count}: ${result.outcome} — ${result.usage.tokens} tokens; ${budgetLine}`)
      const prior = existsSync(statePath) ? readFileSync(statePath, 'utf8') : undefined
      writeFileAtomic(
        statePath,
        renderStateMd({
          patternId: plan.patternId,
          patternName: plan.name,
          level: plan.level,
          updatedAt: new Date(clock()).toISOString(),
          halt: stateHalted(prior),
          lastTick: {
            tick: i,
            decision: result.decision,
            outcome: result.outcome,
            ...(result.summary ? { summary: result.summary } : {}),
            ...(result.branch && result.outcome === 'committed' ? { branch: result.branch } : {}),
            ...(result.commit ? { commit: result.commit } : {}),
            reasons: [...(result.gate?.reasons ?? []), ...(result.verdict?.verdict === 'reject' ? result.verdict.reasons : []), ...(result.halt?.reason ? [result.halt.reason] : [])],
          },
          ...(result.outcome === 'escalated' ? { escalations: [`tick ${i}: ${result.gate?.reasons.join('; ')}`] } : {}),
          budgetLine,
        }),
      )
      appendRunLogFile(logPath, [{ ts: new Date(clock()).toISOString(), dryRun: !!options.dryRun, ...result }], clock())
      if (result.outcome === 'halted') {
        halted = { kind: result.halt?.kind ?? 'halted', ...(result.halt?.reason ? { reason: result.halt.reason } : {}) }
        break
      }
    }
    const spentToday = (await breaker.status()).spent.tokens
    return {
      patternId: plan.patternId,
      name: plan.name,
      level: plan.level,
      backend: options.backend.name,
      dryRun: !!options.dryRun,
      ticks,
      ...(halted ? { halted } : {}),
      spentToday,
      ...(plan.dailyTokenCap !== undefined ? { dailyTokenCap: plan.dailyTokenCap } : {}),
      budgetLine: formatBudgetLine(spentToday, plan.dailyTokenCap),
      plan,
    }
  } finally {
    await opened.close()
  }
}

/** Failed attempts in a row at the end of the run log for a pattern (a commit, noop or escalation resets the count). */
function trailingRejections(log: string | undefined, patternId: string): number {
  let n = 0
  const entries = readRunLog(log).filter((e) => e.patternId === patternId && e.outcome !== 'halted')
  for (let i = entries.length - 1; i >= 0 && entries[i]!.outcome === 'rejected'; i--) n++
  return n
}

/**
 * The human report of a run (seed 004's shape):
 * `Ran 1 tick(s) of Daily Triage [L2] via mock backend (dry-run):` then one
 * line per tick, its steps, and the budget line.
 * @experimental
 * @example
 * process.stdout.write(formatRunReport(summary))
 */
export function formatRunReport(s: PatternRunSummary): string {
  const lines = [`Ran ${s.ticks.length} tick(s) of ${s.name} [${s.level}] via ${s.backend} backend${s.dryRun ? ' (dry-run)' : ''}:`]
  for (const t of s.ticks) {
    const verdict = t.verdict ? ` (${t.verdict.verdict})` : ''
    lines.push(`tick ${t.tick}: ${t.decision}${verdict} — ${t.usage.tokens} tokens`)
    if (t.outcome === 'halted') {
      lines.push(`· halted: ${t.halt?.kind}${t.halt?.reason ? ` (${t.halt.reason})` : ''}`)
      continue
    }
    if (t.decision !== 'plan') lines.push(`· triage decision: ${t.decision}`)
    if (t.files.length) lines.push(`· proposed change touching ${t.files.join(', ')}`)
    if (t.verdict) lines.push(`· verifier verdict: ${t.verdict.verdict}`)
    const gateWhy = t.gate ? t.gate.reasons.join(' + ') : ''
    if (t.outcome === 'committed') lines.push(`· committed: ${gateWhy}${t.commitTarget === 'target-branch' ? ' (target branch)' : s.dryRun ? ' (throwaway branch, removed after the dry run)' : ` (throwaway branch ${t.branch})`}`)
    else if (t.outcome === 'escalated') lines.push(`· escalated to a human: ${gateWhy}`)
    else if (t.outcome === 'proposed') lines.push(`· proposed only (${s.level} never writes the repository)${gateWhy ? `: gate ${t.gate?.action}` : ''}`)
    else if (t.outcome === 'rejected') lines.push(`· discarded: ${t.verdict?.reasons.join('; ')}`)
    else if (t.outcome === 'planned') lines.push('· plan only (L0): nothing run')
    else if (t.outcome === 'failed') lines.push(`· failed: ${t.error}`)
  }
  lines.push(s.budgetLine)
  return `${lines.join('\n')}\n`
}
