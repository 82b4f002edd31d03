import { ValidationError } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import type { BudgetLedger, LedgerTotals } from './ledger.js'

/** Answers whether the kill-switch is on; a string is the reason (for example which file). @experimental */
export type KillSwitch = () => boolean | string | undefined | Promise<boolean | string | undefined>

/** Options of {@link createBudgetBreaker}. @experimental */
export interface BudgetBreakerOptions {
  /** Where the day's spend lives; shared by every process running the same loops. */
  ledger: BudgetLedger
  /** Tokens one scope may spend per day. */
  dailyTokenCap?: number
  /** Dollars one scope may spend per day. */
  dailyCostCapUsd?: number
  /** IANA time zone whose midnight rolls the day over. Default `UTC`. */
  timezone?: string
  /** Checked before any spend; when on, the run halts. */
  killSwitch?: KillSwitch
  /** Epoch-ms clock (inject one in tests). */
  clock?: Clock
  /** What the caps are per (a pattern id, say). Default `default`. */
  scope?: string
}

/** Why a breaker said no. @experimental */
export type BreakerHalt = 'kill-switch' | 'daily-cap'

/** Answer of {@link BudgetBreaker.check}. @experimental */
export interface BreakerStatus {
  ok: boolean
  halt?: BreakerHalt
  reason?: string
  /** The ledger day (`YYYY-MM-DD` in the breaker's time zone). */
  day: string
  /** The day's spend so far, reservations included. */
  spent: LedgerTotals
  dailyTokenCap?: number
  dailyCostCapUsd?: number
  /** Tokens and dollars held for this unit of work (released or settled by `record`). */
  reserved?: LedgerTotals
}

/** Usage to record after an `llm_call` or an iteration. @experimental */
export interface BreakerUsage {
  tokens: number
  costUsd?: number
}

/**
 * One unit of work's hold on the day's cap (see {@link BudgetBreaker.reserve}):
 * usage recorded through it first consumes the reservation, `settle()` returns
 * the unused part. Independent of every other handle, so concurrent
 * iterations each hold their own.
 * @experimental
 */
export interface BreakerReservation {
  /** The reservation's outcome; when `ok` is false nothing was reserved (record and settle are then no-ops). */
  status: BreakerStatus
  /** Records spend against this reservation; only the excess is added to the ledger. */
  record(usage: BreakerUsage): Promise<void>
  /** Returns the unused part of the reservation and notes the unit as a peak candidate; later calls do nothing. */
  settle(): Promise<void>
}

/**
 * A budget circuit-breaker across runs: `check()` before each tick and each
 * iteration (kill-switch first, then a transactional reservation of the
 * largest unit seen so far against the day's cap), `record(usage)` after
 * every `llm_call` and iteration, `settle()` when the unit ends.
 * @experimental
 */
export interface BudgetBreaker {
  /** Kill-switch, then reserve `estimate` (default: the scope's peak unit) against the day's caps. */
  check(estimate?: BreakerUsage): Promise<BreakerStatus>
  /** Like `check`, but the reservation is a handle of its own (one per iteration), leaving the breaker's open unit alone. */
  reserve(estimate?: BreakerUsage): Promise<BreakerReservation>
  /** Between iterations of a unit: the kill-switch, and whether the day's spend already went over a cap (reserves nothing). */
  guard(): Promise<BreakerStatus>
  /** Records spend; it first consumes the open reservation, only the excess is added to the ledger. */
  record(usage: BreakerUsage): Promise<void>
  /** Ends the current unit: returns the unused reservation and notes the unit as a peak candidate. */
  settle(): Promise<void>
  /** The day's spend and caps, without reserving anything. */
  status(): Promise<BreakerStatus>
  /** The ledger day now. */
  day(): string
}

/**
 * The ledger day of `epochMs` in `timezone`, as `YYYY-MM-DD`.
 * @experimental
 * @example
 * ledgerDay(Date.UTC(2026, 0, 1, 23, 30), 'America/New_York') // → '2026-01-01'
 */
export function ledgerDay(epochMs: number, timezone = 'UTC'): string {
  const parts = dayFormatter(timezone).formatToParts(new Date(epochMs))
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '00'
  return `${get('year')}-${get('month')}-${get('day')}`
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function dayFormatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone)
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' })
    } catch {
      throw new ValidationError(`budget breaker: unknown timezone ${JSON.stringify(timezone)}; pass an IANA name such as 'UTC' or 'Europe/Berlin'`)
    }
    formatters.set(timezone, f)
  }
  return f
}

function positive(name: string, v: number | undefined): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) {
    throw new ValidationError(`createBudgetBreaker: ${name} must be a positive number, got ${String(v)}; omit it for no cap`)
  }
}

/**
 * Builds a {@link BudgetBreaker}.
 * @experimental
 * @example
 * const breaker = createBudgetBreaker({ ledger: createMemoryBudgetLedger(), dailyTokenCap: 100_000, timezone: 'Europe/Berlin' })
 * const status = await breaker.check()
 * if (!status.ok) return status.halt // 'kill-switch' | 'daily-cap'
 * await breaker.record({ tokens: 5_000 }); await breaker.settle()
 */
export function createBudgetBreaker(options: BudgetBreakerOptions): BudgetBreaker {
  if (!options?.ledger) throw new ValidationError('createBudgetBreaker: ledger is required (createMemoryBudgetLedger() or createSqlBudgetLedger(sql))')
  positive('dailyTokenCap', options.dailyTokenCap)
  positive('dailyCostCapUsd', options.dailyCostCapUsd)
  const timezone = options.timezone ?? 'UTC'
  dayFormatter(timezone)
  const clock = options.clock ?? systemClock
  const scope = options.scope ?? 'default'
  const { ledger, dailyTokenCap, dailyCostCapUsd } = options
  interface Unit {
    day: string
    reserved: LedgerTotals
    used: LedgerTotals
    settled: boolean
  }
  // The open unit of check(): what it reserved, on which day, and what record() has used of it.
  let open: Unit | undefined

  const day = () => ledgerDay(clock(), timezone)
  const caps = { ...(dailyTokenCap !== undefined ? { dailyTokenCap } : {}), ...(dailyCostCapUsd !== undefined ? { dailyCostCapUsd } : {}) }
  const status = async (): Promise<BreakerStatus> => {
    const d = day()
    return { ok: true, day: d, spent: await ledger.totals(scope, d), ...caps }
  }

  const killed = async (): Promise<BreakerStatus | undefined> => {
    const on = options.killSwitch ? await options.killSwitch() : false
    if (!on) return undefined
    const s = await status()
    return { ...s, ok: false, halt: 'kill-switch', reason: typeof on === 'string' ? on : 'kill-switch is on' }
  }

  // Kill-switch, then one conditional reservation; a unit on success.
  const reserveUnit = async (estimate?: BreakerUsage): Promise<{ status: BreakerStatus; unit?: Unit }> => {
    const k = await killed()
    if (k) return { status: k }
    const d = day()
    const peak = await ledger.peak(scope)
    const want = { tokens: Math.round(estimate?.tokens ?? peak.tokens), costUsd: estimate?.costUsd ?? peak.costUsd }
    const ok = await ledger.reserve({ scope, day: d, ...want, ...(dailyTokenCap !== undefined ? { capTokens: dailyTokenCap } : {}), ...(dailyCostCapUsd !== undefined ? { capCostUsd: dailyCostCapUsd } : {}) })
    const spent = await ledger.totals(scope, d)
    if (!ok) {
      const which = dailyTokenCap !== undefined && spent.tokens + want.tokens > dailyTokenCap ? `${spent.tokens} + ${want.tokens} tokens > daily cap ${dailyTokenCap}` : `$${spent.costUsd} + $${want.costUsd} > daily cap $${dailyCostCapUsd}`
      return { status: { ok: false, halt: 'daily-cap', reason: `daily cap reached on ${d}: ${which}`, day: d, spent, ...caps } }
    }
    return { status: { ok: true, day: d, spent, reserved: want, ...caps }, unit: { day: d, reserved: want, used: { tokens: 0, costUsd: 0 }, settled: false } }
  }

  const recordInto = async (unit: Unit, usage: BreakerUsage): Promise<void> => {
    const tokens = Math.max(0, Math.round(usage.tokens))
    const costUsd = Math.max(0, usage.costUsd ?? 0)
    const before = unit.used
    unit.used = { tokens: before.tokens + tokens, costUsd: before.costUsd + costUsd }
    // Only what goes beyond the reservation is new spend in the ledger.
    const excess = {
      tokens: Math.max(0, unit.used.tokens - unit.reserved.tokens) - Math.max(0, before.tokens - unit.reserved.tokens),
      costUsd: Math.max(0, unit.used.costUsd - unit.reserved.costUsd) - Math.max(0, before.costUsd - unit.reserved.costUsd),
    }
    if (excess.tokens > 0 || excess.costUsd > 0) await ledger.adjust(scope, unit.day, excess)
  }

  const settleUnit = async (unit: Unit): Promise<void> => {
    if (unit.settled) return
    unit.settled = true
    const { day: d, reserved, used } = unit
    const unused = { tokens: Math.max(0, reserved.tokens - used.tokens), costUsd: Math.max(0, reserved.costUsd - used.costUsd) }
    if (unused.tokens > 0 || unused.costUsd > 0) await ledger.adjust(scope, d, { tokens: -unused.tokens, costUsd: -unused.costUsd })
    await ledger.notePeak(scope, used)
  }

  const breaker: BudgetBreaker = {
    day,
    status,
    async guard() {
      const k = await killed()
      if (k) return k
      const s = await status()
      if (dailyTokenCap !== undefined && s.spent.tokens > dailyTokenCap) return { ...s, ok: false, halt: 'daily-cap', reason: `daily token cap ${dailyTokenCap} crossed on ${s.day}` }
      if (dailyCostCapUsd !== undefined && s.spent.costUsd > dailyCostCapUsd) return { ...s, ok: false, halt: 'daily-cap', reason: `daily cost cap $${dailyCostCapUsd} crossed on ${s.day}` }
      return s
    },
    async check(estimate) {
      const k = await killed()
      if (k) return k
      await breaker.settle()
      const { status: s, unit } = await reserveUnit(estimate)
      open = unit
      return s
    },
    async reserve(estimate) {
      const { status: s, unit } = await reserveUnit(estimate)
      if (!unit) return { status: s, record: async () => undefined, settle: async () => undefined }
      return { status: s, record: (usage) => recordInto(unit, usage), settle: () => settleUnit(unit) }
    },
    async record(usage) {
      if (!open) {
        const tokens = Math.max(0, Math.round(usage.tokens))
        const costUsd = Math.max(0, usage.costUsd ?? 0)
        await ledger.adjust(scope, day(), { tokens, costUsd })
        await ledger.notePeak(scope, { tokens, costUsd })
        return
      }
      await recordInto(open, usage)
    },
    async settle() {
      if (!open) return
      const unit = open
      open = undefined
      await settleUnit(unit)
    },
  }
  return breaker
}
