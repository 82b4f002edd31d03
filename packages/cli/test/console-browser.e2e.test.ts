/** The console in headless Chromium (playwright-core): a live loop appears and updates without a reload, its tree, and the kill button. */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { type ConsoleServer, type OpenedConsoleStores, type PatternRunSummary, startConsoleServer } from '@tangle-network/agent-runtime-cli'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gitRepo } from './bin-helpers.js'
import { fixtureEnv, recordRun, tickGate } from './console-fixtures.js'
import { openConsoleStores } from '@tangle-network/agent-runtime-cli'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync']
const WAIT = { timeout: 45_000 }

describe('loop console in headless Chromium', () => {
  const dirs: string[] = []
  let dir: string
  let opened: OpenedConsoleStores
  let server: ConsoleServer
  let browser: Browser
  beforeAll(async () => {
    dir = gitRepo(dirs)
    opened = await openConsoleStores({ cwd: dir, env: fixtureEnv(dir) })
    server = await startConsoleServer({ stores: opened.stores, port: 0, pollMs: 100 })
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.close()
    await opened?.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  /** Marks the document; a reload or navigation would lose the mark. */
  const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __mark: number }).__mark = 42))
  const stillMarked = (page: Page) => page.evaluate(() => (window as unknown as { __mark?: number }).__mark === 42)

  it('a live loop appears and updates without a reload; its run page shows the tree; the kill button stops it within one iteration', async () => {
    const gate = tickGate()
    const page = await browser.newPage()
    await page.goto(server.url)
    await page.waitForSelector('#no-runs')
    await mark(page)

    // A real pattern run (scripted backend, real git worktrees, SQLite traces and ledger) of up to 8 ticks.
    let summary: PatternRunSummary | undefined
    const run = recordRun(dir, { runId: 'live-run', ticks: 8, dailyCap: 1_000_000, start: Date.now(), script: { afterImplement: gate.afterImplement } }).then((s) => (summary = s))

    await gate.entered(1)
    await page.waitForSelector('tr[data-run="live-run"] .st-running', WAIT)
    expect(await page.textContent('tr[data-run="live-run"] [data-col="iterations"]')).toBe('1')
    gate.release(1)
    await gate.entered(2)
    await page.waitForFunction(() => document.querySelector('tr[data-run="live-run"] [data-col="iterations"]')?.textContent === '2', undefined, WAIT)
    expect(await page.textContent('tr[data-run="live-run"]')).toContain('5,000')
    expect(await stillMarked(page)).toBe(true)

    // The run page: loop → round → iteration, the finished tick with its verdict and tokens, the current one running.
    await page.click('tr[data-run="live-run"] a')
    await page.waitForSelector('#tree .loop .round .iteration', WAIT)
    await mark(page)
    expect(await page.$$eval('#tree .round', (els) => els.length)).toBe(2)
    const first = (await page.textContent('#tree .round[data-round="0"] .iteration')) ?? ''
    expect(first).toMatch(/iteration 0[\s\S]*ok[\s\S]*outcome committed[\s\S]*5,000 tokens/)
    expect(await page.textContent('#tree .round[data-round="1"] .iteration')).toContain('running')
    gate.release(2)
    await gate.entered(3)
    await page.waitForFunction(() => document.querySelectorAll('#tree .round').length === 3, undefined, WAIT)
    expect(await page.textContent('#tree .round[data-round="1"] .iteration')).toContain('outcome committed')
    expect(await stillMarked(page)).toBe(true)

    // Kill: the button asks first; confirming engages the kill-switch and returns to the run.
    await page.click('main a.kill')
    await page.waitForSelector('#confirm')
    expect(existsSync(join(dir, '.agent-runtime', 'KILL'))).toBe(false)
    await Promise.all([page.waitForURL(/\/runs\/live-run$/), page.click('#confirm')])
    expect(existsSync(join(dir, '.agent-runtime', 'KILL'))).toBe(true)
    await page.waitForSelector('.banner', WAIT)
    await mark(page)

    // Tick 3 was mid-iteration; it halts at its next check and no tick 4 starts.
    gate.release(3)
    await run
    expect(summary?.halted?.kind).toBe('kill-switch')
    expect(summary?.ticks.map((t) => t.outcome)).toEqual(['committed', 'committed', 'halted'])
    await page.waitForFunction(() => document.querySelector('#run-status')?.textContent?.includes('halted'), undefined, WAIT)
    expect(await page.textContent('#tree .round[data-round="2"] .iteration')).toContain('outcome halted')
    expect(await stillMarked(page)).toBe(true)
    await page.close()
  }, 180_000)

  it('reads right with JavaScript off: the runs, the tree and the budget are in the served HTML', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false })
    const page = await context.newPage()
    await page.goto(server.url)
    expect(await page.textContent('tr[data-run="live-run"]')).toContain('halted')
    await page.click('tr[data-run="live-run"] a')
    expect(await page.$$eval('#tree .iteration', (els) => els.length)).toBe(3)
    await page.click('nav a[href="/budget"]')
    expect(await page.textContent('#budget')).toContain('Daily Triage')
    await context.close()
  }, 60_000)
})
