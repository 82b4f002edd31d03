/**
 * Regenerates the console screenshots of packages/cli/README.md with the same
 * headless Chromium the browser test uses, over real stores (a repository
 * with pattern runs, one of them live, delegations and ledger spend).
 *
 *   node --conditions=source --import tsx packages/cli/scripts/console-screenshots.ts
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { openConsoleStores, startConsoleServer } from '@tangle-network/agent-runtime-cli'
import { chromium } from 'playwright-core'
import { REGISTRY } from '../test/bin-helpers.js'
import { FIXTURE_NOW, fixtureEnv, populatedRepo, recordRun, tickGate } from '../test/console-fixtures.js'

const OUT = join(import.meta.dirname, '..', 'docs', 'console')
const dirs: string[] = []
mkdirSync(OUT, { recursive: true })
process.stderr.write('› recording runs, delegations and spend\n')
// A 50,000-token cap, so today's burn-down sits part-way.
const dir = await populatedRepo(dirs, REGISTRY.replace('suggested_daily_cap: 12000', 'suggested_daily_cap: 50000'))
const gate = tickGate()
const live = recordRun(dir, { runId: 'daily-triage:live', ticks: 5, dailyCap: 1_000_000, start: FIXTURE_NOW + 90_000, script: { afterImplement: gate.afterImplement } })
gate.entered(1).then(() => gate.release(1))
await gate.entered(2)
const opened = await openConsoleStores({ cwd: dir, env: fixtureEnv(dir) })
const server = await startConsoleServer({ stores: opened.stores, port: 0, clock: () => FIXTURE_NOW + 100_000 })
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
})
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 720 } })
  const shots: [string, string, ((p: typeof page) => Promise<void>)?][] = [
    ['runs', '/'],
    ['run-tree', '/runs/run-accepted'],
    ['run-live', `/runs/${encodeURIComponent('daily-triage:live')}`],
    ['run-patch', '/runs/run-proposed', (p) => p.click('details summary')],
    ['run-failed-checks', '/runs/run-rejected'],
    ['delegations', '/delegations'],
    ['budget', '/budget'],
    ['kill-confirm', `/kill?return=${encodeURIComponent('/runs/daily-triage:live')}`],
    ['cancel-confirm', '/delegations/dlg-running/cancel'],
  ]
  for (const [name, path, prepare] of shots) {
    await page.goto(`${server.url}${path}`)
    await prepare?.(page)
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })
    process.stderr.write(`› ${name}.png\n`)
  }
} finally {
  await browser.close()
  // The kill-switch stops the held run at its next check: tick 2 halts, nothing else starts.
  await opened.stores.killSwitch?.engage('screenshots done')
  gate.release(2)
  await live.catch(() => undefined)
  await server.close()
  await opened.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
