import {
  appendRunLog,
  createBudgetBreaker,
  createMemoryBudgetLedger,
  formatBudgetLine,
  ledgerDay,
  readRunLog,
  renderStateMd,
  RUN_LOG_MARKER,
  stateHalted,
} from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

const DAY = 86_400_000

describe('run log', () => {
  it('appends JSON lines after the marker and prunes entries older than 30 days, keeping what people wrote', () => {
    const t0 = Date.UTC(2026, 0, 1)
    let text = appendRunLog(undefined, [{ ts: new Date(t0).toISOString(), tick: 1 }], t0)
    expect(text).toContain(RUN_LOG_MARKER)
    text = text.replace(RUN_LOG_MARKER, `Notes from a person.\n\n${RUN_LOG_MARKER}`)
    text = appendRunLog(text, [{ ts: new Date(t0 + 20 * DAY).toISOString(), tick: 2 }], t0 + 20 * DAY)
    text = `${text}a stray line\n`
    text = appendRunLog(text, [{ ts: new Date(t0 + 31 * DAY).toISOString(), tick: 3 }], t0 + 31 * DAY)
    expect(readRunLog(text).map((e) => e.tick)).toEqual([2, 3])
    expect(text).toContain('Notes from a person.')
    expect(text).toContain('a stray line')
  })
})

describe('STATE.md', () => {
  it('renders the halt flag and reads a person’s halt: true', () => {
    const md = renderStateMd({ patternId: 'p', patternName: 'P', level: 'L2', updatedAt: '2026-01-01T00:00:00Z', halt: false, budgetLine: formatBudgetLine(5000, 100000) })
    expect(stateHalted(md)).toBe(false)
    expect(md).toContain('Budget: 5,000 / 100,000 tokens spent today.')
    expect(stateHalted(md.replace('halt: false', 'halt: true'))).toBe(true)
    expect(stateHalted('# notes\nwe should not halt: true yet')).toBe(false)
  })
})

describe('budget breaker', () => {
  it('reserves the peak unit, consumes the reservation with record(), and returns the rest on settle()', async () => {
    const ledger = createMemoryBudgetLedger()
    const breaker = createBudgetBreaker({ ledger, dailyTokenCap: 10_000, clock: () => Date.UTC(2026, 0, 1, 12), scope: 's' })
    expect(await breaker.check()).toMatchObject({ ok: true, reserved: { tokens: 0 } })
    await breaker.record({ tokens: 4000 })
    await breaker.settle()
    expect((await breaker.status()).spent.tokens).toBe(4000)
    // The next unit reserves the peak (4,000) up front…
    expect(await breaker.check()).toMatchObject({ ok: true, spent: { tokens: 8000 }, reserved: { tokens: 4000 } })
    await breaker.record({ tokens: 1000 })
    expect((await breaker.status()).spent.tokens).toBe(8000)
    // …and gives back what it did not use.
    await breaker.settle()
    expect((await breaker.status()).spent.tokens).toBe(5000)
    // 5,000 + a 4,000 peak fits 10,000; a second such reservation would not.
    expect((await breaker.check()).ok).toBe(true)
    await breaker.record({ tokens: 4000 })
    await breaker.settle()
    expect(await breaker.check()).toMatchObject({ ok: false, halt: 'daily-cap' })
  })

  it('the kill-switch wins before any reservation; guard() sees a crossed cap', async () => {
    const ledger = createMemoryBudgetLedger()
    let kill: string | false = 'KILL file'
    const breaker = createBudgetBreaker({ ledger, dailyTokenCap: 100, killSwitch: () => kill, clock: () => 0 })
    expect(await breaker.check()).toMatchObject({ ok: false, halt: 'kill-switch', reason: 'KILL file', spent: { tokens: 0 } })
    kill = false
    expect((await breaker.check()).ok).toBe(true)
    await breaker.record({ tokens: 150 })
    expect(await breaker.guard()).toMatchObject({ ok: false, halt: 'daily-cap' })
  })

  it('rolls the day over at midnight in its time zone, and rejects an unknown zone', () => {
    expect(ledgerDay(Date.UTC(2026, 0, 1, 23, 30), 'UTC')).toBe('2026-01-01')
    expect(ledgerDay(Date.UTC(2026, 0, 1, 23, 30), 'Asia/Tokyo')).toBe('2026-01-02')
    expect(ledgerDay(Date.UTC(2026, 0, 2, 3, 0), 'America/New_York')).toBe('2026-01-01')
    expect(() => createBudgetBreaker({ ledger: createMemoryBudgetLedger(), timezone: 'Mars/Olympus' })).toThrow(/unknown timezone "Mars\/Olympus"/)
  })
})
