/** The console over real loopback HTTP with plain fetch (no JavaScript): every page renders its data on the server. */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { type ConsoleServer, createConsoleHandler, type OpenedConsoleStores, startConsoleServer } from '@tangle-network/agent-runtime-cli'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURE_NOW, openFixtureStores, populatedRepo } from './console-fixtures.js'

const dirs: string[] = []
let dir: string
let opened: OpenedConsoleStores
let server: ConsoleServer

beforeAll(async () => {
  dir = await populatedRepo(dirs)
  opened = await openFixtureStores(dir)
  server = await startConsoleServer({ stores: opened.stores, port: 0, clock: () => FIXTURE_NOW + 180_000, pollMs: 50 })
}, 120_000)
afterAll(async () => {
  await server?.close()
  await opened?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const get = async (path: string, init?: RequestInit) => {
  const res = await fetch(`${server.url}${path}`, { redirect: 'manual', ...init })
  return { res, text: await res.text() }
}
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ')
const csrfOf = (html: string) => /name="csrf" value="([0-9a-f]+)"/.exec(html)?.[1] ?? ''

describe('pages render their data on the server', () => {
  it('runs: every run with its pattern, status, iterations, tokens, cost and duration', async () => {
    const { res, text: html } = await get('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    const rows = [...html.matchAll(/<tr data-run="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => [m[1], text(m[2]!)] as const)
    expect(rows.map((r) => r[0])).toEqual(['run-accepted', 'run-proposed', 'run-rejected'])
    const accepted = rows.find((r) => r[0] === 'run-accepted')![1]
    expect(accepted).toContain('daily-triage L2')
    expect(accepted).toContain('completed')
    // Two ticks of the scripted backend: 5,000 tokens each.
    expect(accepted).toMatch(/ 2 10,000 \$0\.0000 /)
    expect(rows.find((r) => r[0] === 'run-proposed')![1]).toContain('daily-triage L1')
    expect(html).toContain('data-live="/live/runs"')
  })

  it('a run: the loop → round → iteration tree with verdicts, tokens and cost', async () => {
    const { res, text: html } = await get('/runs/run-accepted')
    expect(res.status).toBe(200)
    const t = text(html)
    expect(t).toContain('loop 1 Daily Triage driver pattern')
    expect(t).toContain('decision done')
    expect(html.match(/class="round"/g)).toHaveLength(2)
    expect(t).toMatch(/iteration 0 mock ok · outcome committed · score 1\.00 · 5,000 tokens · \$0\.0000/)
    expect(t).toMatch(/round 1 tick · decision committed/)
  })

  it('a rejected run shows its failed checks; an L1 run shows its patch', async () => {
    const rejected = text((await get('/runs/run-rejected')).text)
    expect(rejected).toContain('outcome rejected')
    expect(rejected).toContain('✗ reviewer rejected: scripted rejection')
    const proposed = (await get('/runs/run-proposed')).text
    expect(text(proposed)).toContain('outcome proposed')
    expect(proposed).toMatch(/<summary>patch \(\d+ lines\)<\/summary><pre>[\s\S]*\+\+\+ b\/src\/example\.ts/)
  })

  it('an unknown run is a 404 page naming it', async () => {
    const { res, text: html } = await get('/runs/nope')
    expect(res.status).toBe(404)
    expect(html).toContain('No run &#39;nope&#39;')
  })

  it('delegations: status, progress, result and feedback history', async () => {
    const { text: html } = await get('/delegations')
    const row = (id: string) => text(new RegExp(`<tr data-delegation="${id}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '')
    expect(row('dlg-running')).toMatch(/running iteration 2 · review \$0\.0123 .*none Cancel…/)
    expect(row('dlg-done')).toContain('completed')
    expect(row('dlg-done')).toContain('pg 16 supports MERGE RETURNING')
    expect(row('dlg-done')).toContain('user · 0.90 good: cited the release notes')
    expect(row('dlg-failed')).toContain('no-candidate: every candidate failed the tests')
    expect(row('dlg-failed')).not.toContain('Cancel')
  })

  it("budget: today's spend per pattern against its cap, with the last days", async () => {
    const t = text((await get('/budget')).text)
    expect(t).toContain('Budget · 2026-12-01')
    // Today: 2 ticks × 5,000 tokens against registry.yaml's cap of 12,000; yesterday's two runs are in the history.
    expect(t).toMatch(/Daily Triage daily-triage 10,000 12,000 2,000 \$0\.0000 /)
    expect(t).toContain("83% of today's cap")
    const html = (await get('/budget')).text
    expect(html).toContain('title="2026-11-30: 10,000 tokens"')
    expect(html).toContain('aria-valuenow="83"')
    // Today's burn curve from the traced iterations: the two ticks of run-accepted (yesterday's runs are not in it).
    expect(html).toContain('aria-label="2 iterations today, 10,000 tokens"')
    expect(/<polyline [^>]*points="([^"]+)"/.exec(html)?.[1]?.split(' ')).toHaveLength(5)
    expect(html).toContain('class="cap"')
  })

  const firstEvent = async (path: string) => {
    const res = await fetch(`${server.url}${path}`)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const reader = res.body!.getReader()
    let buf = ''
    while (!buf.includes('\n\n')) buf += new TextDecoder().decode((await reader.read()).value)
    await reader.cancel()
    return buf
  }

  it('live: /live/runs, /live/delegations and /live/budget stream their table as an SSE update event', async () => {
    const runs = await firstEvent('/live/runs')
    expect(runs).toMatch(/^event: update\ndata: <table id="runs">/)
    expect(runs).toContain('data-run="run-accepted"')
    expect(await firstEvent('/live/delegations')).toMatch(/^event: update\ndata: <table id="delegations">[\s\S]*data-delegation="dlg-done"/)
    expect(await firstEvent('/live/budget')).toMatch(/^event: update\ndata: <table id="budget">[\s\S]*data-pattern="daily-triage"/)
    // A finished run's stream sends its tree once, then ends.
    const tree = await firstEvent('/live/runs/run-accepted')
    expect(tree).toMatch(/^event: update\ndata: <p id="run-status">/)
  })

  it('serves its own assets (no CDN): every page links only local CSS and JS', async () => {
    const { text: html } = await get('/budget')
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect((await get('/assets/console.css')).res.headers.get('content-type')).toContain('text/css')
    expect((await get('/assets/console.js')).text).toContain('EventSource')
  })
})

describe('writes: only kill and cancel, each behind a confirmation and a CSRF check', () => {
  it('cancel: the confirmation page posts a form token; without it, or cross-site, nothing changes', async () => {
    const confirm = await get('/delegations/dlg-running/cancel')
    expect(confirm.res.status).toBe(200)
    const csrf = csrfOf(confirm.text)
    expect(csrf).toMatch(/^[0-9a-f]{64}$/)
    const post = (body: string, headers: Record<string, string> = {}) => get('/delegations/dlg-running/cancel', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } })
    expect((await post('csrf=wrong')).res.status).toBe(403)
    expect((await post(`csrf=${csrf}`, { origin: 'http://evil.example' })).res.status).toBe(403)
    expect((await post(`csrf=${csrf}`, { 'sec-fetch-site': 'cross-site' })).res.status).toBe(403)
    expect(text((await get('/delegations')).text)).toMatch(/dlg-running coder · acme running/)
    const ok = await post(`csrf=${csrf}`)
    expect(ok.res.status).toBe(303)
    expect(ok.res.headers.get('location')).toBe('/delegations')
    expect(text((await get('/delegations')).text)).toMatch(/dlg-running coder · acme cancelled/)
  })

  it('kill: GET only asks; POST with the token writes the kill-switch file and every page says so', async () => {
    const killFile = join(dir, '.agent-runtime', 'KILL')
    const confirm = await get('/kill?return=/runs/run-accepted')
    expect(text(confirm.text)).toContain('Stop every loop?')
    expect(existsSync(killFile)).toBe(false)
    const csrf = csrfOf(confirm.text)
    const bad = await get('/kill', { method: 'POST', body: 'csrf=', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(bad.res.status).toBe(403)
    expect(existsSync(killFile)).toBe(false)
    const ok = await get('/kill', { method: 'POST', body: `csrf=${csrf}&return=%2Fruns%2Frun-accepted`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(ok.res.status).toBe(303)
    expect(ok.res.headers.get('location')).toBe('/runs/run-accepted')
    expect(readFileSync(killFile, 'utf8')).toContain('engaged from the loop console')
    expect(text((await get('/budget')).text)).toContain('Kill-switch engaged: kill-switch file')
    rmSync(killFile)
  })

  it('a kill POST cannot redirect off the console', async () => {
    const csrf = csrfOf((await get('/kill')).text)
    const res = await get('/kill', { method: 'POST', body: `csrf=${csrf}&return=%2F%2Fevil.example`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(res.res.headers.get('location')).toBe('/')
    rmSync(join(dir, '.agent-runtime', 'KILL'))
  })
})

describe('binding and tokens', () => {
  it('without a token only loopback host names are answered (DNS rebinding)', async () => {
    const handler = createConsoleHandler({ stores: opened.stores })
    expect((await handler(new Request('http://127.0.0.1:4319/budget'))).status).toBe(200)
    expect((await handler(new Request('http://localhost:4319/budget'))).status).toBe(200)
    const evil = await handler(new Request('http://evil.example:4319/budget'))
    expect(evil.status).toBe(403)
    expect(await evil.text()).toContain("host 'evil.example' is not loopback")
  })

  it('any other bind needs a token', async () => {
    await expect(startConsoleServer({ stores: opened.stores, host: '0.0.0.0', port: 0 })).rejects.toThrow(/binding 0\.0\.0\.0 needs a token/)
    expect(() => createConsoleHandler({ stores: opened.stores, token: 'short' })).toThrow(/at least 16 characters/)
  })

  it('with a token: 401 without it; Bearer works; ?token= sets an HttpOnly cookie', async () => {
    const token = 'a'.repeat(32)
    const s = await startConsoleServer({ stores: opened.stores, host: '0.0.0.0', port: 0, token })
    try {
      const base = `http://127.0.0.1:${s.port}`
      expect((await fetch(`${base}/budget`)).status).toBe(401)
      expect((await fetch(`${base}/budget`, { headers: { authorization: `Bearer ${'b'.repeat(32)}` } })).status).toBe(401)
      expect((await fetch(`${base}/budget`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200)
      const first = await fetch(`${base}/budget?token=${token}`, { redirect: 'manual' })
      expect(first.status).toBe(303)
      expect(first.headers.get('location')).toBe('/budget')
      const cookie = first.headers.get('set-cookie')!
      expect(cookie).toContain('HttpOnly')
      expect((await fetch(`${base}/budget`, { headers: { cookie: cookie.split(';')[0]! } })).status).toBe(200)
    } finally {
      await s.close()
    }
  })
})
