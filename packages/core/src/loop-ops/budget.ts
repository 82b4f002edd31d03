import { ValidationError } from '../errors.js'
import type { Clock } from '../util/clock.js'

/** Hard caps of one run; any subset. Crossing one ends the run with decision `budget-exceeded`. @experimental */
export interface LoopBudget {
  /** Dollars the run may spend (sum of every iteration's cost). */
  maxCostUsd?: number
  /** Tokens the run may spend (input + output). */
  maxTokens?: number
  /** Wall-clock milliseconds the run may take, measured with the run's clock. */
  maxWallMs?: number
}

/** The decision a run ends with when its budget stops it. @experimental */
export const BUDGET_EXCEEDED = 'budget-exceeded' as const

/** Which cap stopped a run. @experimental */
export type BudgetLimit = 'maxCostUsd' | 'maxTokens' | 'maxWallMs'

/** What a run spent, for reports. @experimental */
export interface BudgetSpend {
  costUsd: number
  tokens: number
  wallMs: number
}

/** Why and where a budget stopped a run: the cap, the budget and what was spent. @experimental */
export interface BudgetReport {
  limit: BudgetLimit
  /** `crossed`: spend went over the cap (in-flight work aborted); `insufficient`: the remainder could not cover another iteration. */
  reason: 'crossed' | 'insufficient'
  budget: LoopBudget
  spent: BudgetSpend
}

/**
 * Checks a {@link LoopBudget}: every cap must be a positive finite number.
 * Throws `ValidationError` naming the field otherwise.
 * @experimental
 * @example
 * validateLoopBudget({ maxTokens: 50_000 }, 'runLoop')
 */
export function validateLoopBudget(budget: LoopBudget | undefined, caller: string): LoopBudget | undefined {
  if (budget === undefined) return undefined
  if (budget === null || typeof budget !== 'object') throw new ValidationError(`${caller}: budget must be an object like { maxTokens: 50000 }, got ${String(budget)}`)
  for (const key of ['maxCostUsd', 'maxTokens', 'maxWallMs'] as const) {
    const v = budget[key]
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) {
      throw new ValidationError(`${caller}: budget.${key} must be a positive number, got ${String(v)}; omit it for no cap`)
    }
  }
  return budget
}

/** Cost and tokens of one unit of work. @experimental */
export interface SpendAmount {
  costUsd: number
  tokens: number
}

/**
 * Live accounting of one run against its budget: spend of finished and
 * in-flight work, the most expensive finished unit (the estimate of the
 * next), and the checks the kernel makes before dispatching and on every
 * usage event. Pure: time comes from the injected clock.
 * @experimental
 */
export interface BudgetMeter {
  /** Adds spend of the in-flight unit `key` (call on every usage event). */
  add(key: number | string, amount: SpendAmount): void
  /** Marks unit `key` finished: its spend now counts towards the estimate of the next one. */
  finish(key: number | string): void
  /** The cap already crossed (spend over it, or wall time reached), if any. */
  crossed(): BudgetLimit | undefined
  /** The cap that could not cover one more unit on top of the spend and in-flight reservations, if any. */
  cannotCover(): BudgetLimit | undefined
  /** Milliseconds left before `maxWallMs`, or undefined without a wall cap. */
  wallRemainingMs(): number | undefined
  /** What was spent so far. */
  spent(): BudgetSpend
  /** A report for the run result. */
  report(limit: BudgetLimit, reason: BudgetReport['reason']): BudgetReport
}

/**
 * Builds a {@link BudgetMeter} for `budget`, started now on `clock`.
 * @experimental
 * @example
 * const meter = createBudgetMeter({ maxTokens: 10_000 }, () => Date.now())
 * meter.add(0, { costUsd: 0.01, tokens: 4_000 }); meter.finish(0)
 * meter.cannotCover() // → undefined (4,000 + 4,000 ≤ 10,000)
 */
export function createBudgetMeter(budget: LoopBudget, clock: Clock): BudgetMeter {
  const startedAt = clock()
  const live = new Map<number | string, SpendAmount>()
  let finishedCost = 0
  let finishedTokens = 0
  let peak: SpendAmount = { costUsd: 0, tokens: 0 }

  const totals = (): SpendAmount => {
    let costUsd = finishedCost
    let tokens = finishedTokens
    for (const a of live.values()) {
      costUsd += a.costUsd
      tokens += a.tokens
    }
    return { costUsd, tokens }
  }
  const wallMs = () => clock() - startedAt
  return {
    add(key, amount) {
      const cur = live.get(key) ?? { costUsd: 0, tokens: 0 }
      live.set(key, { costUsd: cur.costUsd + amount.costUsd, tokens: cur.tokens + amount.tokens })
    },
    finish(key) {
      const cur = live.get(key) ?? { costUsd: 0, tokens: 0 }
      live.delete(key)
      finishedCost += cur.costUsd
      finishedTokens += cur.tokens
      peak = { costUsd: Math.max(peak.costUsd, cur.costUsd), tokens: Math.max(peak.tokens, cur.tokens) }
    },
    crossed() {
      const t = totals()
      if (budget.maxCostUsd !== undefined && t.costUsd > budget.maxCostUsd) return 'maxCostUsd'
      if (budget.maxTokens !== undefined && t.tokens > budget.maxTokens) return 'maxTokens'
      if (budget.maxWallMs !== undefined && wallMs() >= budget.maxWallMs) return 'maxWallMs'
      return undefined
    },
    cannotCover() {
      // Each in-flight unit may still grow to the peak; the next one is assumed to cost the peak too.
      let costUsd = finishedCost + peak.costUsd
      let tokens = finishedTokens + peak.tokens
      for (const a of live.values()) {
        costUsd += Math.max(a.costUsd, peak.costUsd)
        tokens += Math.max(a.tokens, peak.tokens)
      }
      if (budget.maxCostUsd !== undefined && costUsd > budget.maxCostUsd) return 'maxCostUsd'
      if (budget.maxTokens !== undefined && tokens > budget.maxTokens) return 'maxTokens'
      if (budget.maxWallMs !== undefined && wallMs() >= budget.maxWallMs) return 'maxWallMs'
      return undefined
    },
    wallRemainingMs() {
      return budget.maxWallMs === undefined ? undefined : Math.max(0, budget.maxWallMs - wallMs())
    },
    spent() {
      const t = totals()
      return { costUsd: t.costUsd, tokens: t.tokens, wallMs: wallMs() }
    },
    report(limit, reason) {
      return { limit, reason, budget: { ...budget }, spent: this.spent() }
    },
  }
}
