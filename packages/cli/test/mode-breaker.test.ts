import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openBudgetLedger } from '@tangle-network/agent-runtime-cli'
import { afterAll, describe, expect, it } from 'vitest'
import { gitRepo, runBin } from './bin-helpers.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

// Each run appends a line to ran.log (so a halted run provably never started) and reports 700 tokens and $0.40 through the run context.
const CONFIG = `import { appendFileSync } from 'node:fs'
export default {
  research: async (_signal, context) => {
    appendFileSync('ran.log', 'research\\n')
    context.recordUsage({ tokens: 400, costUsd: 0.25 })
    context.recordUsage({ tokens: 300, costUsd: 0.15 })
    return { done: true }
  },
}
`

const ranCount = (dir: string): number => {
  try {
    return readFileSync(join(dir, 'ran.log'), 'utf8').trim().split('\n').filter(Boolean).length
  } catch {
    return 0
  }
}

describe('agent-runtime-loop --mode with the budget breaker (child process)', () => {
  it('cron simulation: runs of one mode share the day cap in the ledger, halt with exit 3 before starting, and roll over at midnight', async () => {
    const dir = gitRepo(dirs)
    writeFileSync(join(dir, 'loops.config.mjs'), CONFIG)
    const times = ['2026-03-01T22:00:00Z', '2026-03-01T23:00:00Z', '2026-03-01T23:30:00Z', '2026-03-02T00:10:00Z']
    const results = []
    for (const t of times) results.push(await runBin(['--mode', 'research', '--config', 'loops.config.mjs', '--daily-cap', '1500'], dir, { AGENT_RUNTIME_LOOP_NOW: t }))
    // 700 + 700 fits 1,500; a third run would need the peak (700) more, so it halts; the next day starts afresh.
    expect(results.map((r) => r.code)).toEqual([0, 0, 3, 0])
    expect(JSON.parse(results[0]!.stdout)).toMatchObject({ mode: 'research', ok: true, output: { done: true } })
    const halted = JSON.parse(results[2]!.stdout)
    expect(halted).toMatchObject({ mode: 'research', ok: false, halted: { halt: 'daily-cap' } })
    expect(halted.halted.reason).toContain('1400 + 700 tokens > daily cap 1500')
    expect(ranCount(dir)).toBe(3)
    // Default ledger .agent-runtime/ledger.db, scope = the mode: the reported usage is there, reservations settled.
    const { ledger, close } = await openBudgetLedger(join(dir, '.agent-runtime', 'ledger.db'))
    expect(await ledger.totals('research', '2026-03-01')).toEqual({ tokens: 1400, costUsd: expect.closeTo(0.8, 6) })
    expect((await ledger.totals('research', '2026-03-02')).tokens).toBe(700)
    await close()
  }, 300_000)

  it('--daily-cost-cap, --ledger and --scope: a cost cap over an explicit ledger file shared under a named scope', async () => {
    const dir = gitRepo(dirs)
    writeFileSync(join(dir, 'loops.config.mjs'), CONFIG)
    const args = ['--mode', 'research', '--config', 'loops.config.mjs', '--daily-cost-cap', '0.7', '--ledger', 'shared/budget.db', '--scope', 'daily-triage']
    const env = { AGENT_RUNTIME_LOOP_NOW: '2026-03-01T10:00:00Z' }
    const first = await runBin(args, dir, env)
    const second = await runBin(args, dir, env)
    expect([first.code, second.code]).toEqual([0, 3])
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: false, halted: { halt: 'daily-cap' } })
    const { ledger, close } = await openBudgetLedger(join(dir, 'shared', 'budget.db'))
    expect((await ledger.totals('daily-triage', '2026-03-01')).costUsd).toBeCloseTo(0.4, 6)
    await close()
    const help = await runBin(['--help'], dir)
    expect(help.stdout).toContain('[--daily-cap TOKENS] [--daily-cost-cap USD] [--ledger path|postgres://…] [--scope NAME]')
    const bad = await runBin(['--mode', 'research', '--config', 'loops.config.mjs', '--daily-cost-cap', 'lots'], dir, env)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--daily-cost-cap must be a positive number, got 'lots'")
  }, 300_000)

  it('the kill-switch (file, env var, halt: true in STATE.md) halts a --mode run before the runner starts, exit 3', async () => {
    const dir = gitRepo(dirs)
    writeFileSync(join(dir, 'loops.config.mjs'), CONFIG)
    const args = ['--mode', 'research', '--config', 'loops.config.mjs']
    mkdirSync(join(dir, '.agent-runtime'), { recursive: true })
    writeFileSync(join(dir, '.agent-runtime', 'KILL'), '')
    const file = await runBin(args, dir)
    expect(file.code).toBe(3)
    expect(JSON.parse(file.stdout)).toMatchObject({ ok: false, halted: { halt: 'kill-switch' } })
    expect(JSON.parse(file.stdout).halted.reason).toContain('KILL')
    rmSync(join(dir, '.agent-runtime', 'KILL'))
    const env = await runBin(args, dir, { AGENT_RUNTIME_KILL: '1' })
    expect(env.code).toBe(3)
    expect(JSON.parse(env.stdout).halted.reason).toContain('AGENT_RUNTIME_KILL=1')
    writeFileSync(join(dir, 'STATE.md'), '---\nhalt: true\n---\n')
    const state = await runBin(args, dir)
    expect(state.code).toBe(3)
    expect(JSON.parse(state.stdout).halted.reason).toContain('halt: true in')
    expect(ranCount(dir)).toBe(0)
    rmSync(join(dir, 'STATE.md'))
    const free = await runBin(args, dir)
    expect(free.code).toBe(0)
    expect(ranCount(dir)).toBe(1)
    // No cap, no --ledger: nothing to share, so no ledger database is opened (nor better-sqlite3 needed).
    expect(existsSync(join(dir, '.agent-runtime', 'ledger.db'))).toBe(false)
  }, 300_000)
})
