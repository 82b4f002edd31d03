/**
 * The loop console as a fetch-style handler: `(request) => Response`. Pages
 * are rendered on the server; `[data-live]` regions re-render over SSE.
 * Read-only except two POSTs (kill, cancel) guarded by a CSRF token and an
 * Origin check. Without a token it answers loopback host names only.
 */
import { ValidationError } from '@tangle-network/agent-runtime-core'
import { Hono } from 'hono'
import type { Context } from 'hono'
import { streamSSE } from 'hono/streaming'
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js'
import { budgetRows, buildTraceTree, listRunSummaries, summarizeRun } from './model.js'
import type { ConsoleStores } from './stores.js'
import { budgetPage, budgetTable, confirmPage, delegationsPage, delegationsTable, type LayoutInput, layout, messagePage, missingStore, runPage, runsPage, runsTable, traceTree } from './views.js'

/** Options of {@link createConsoleHandler}. @experimental */
export interface ConsoleHandlerOptions {
  stores: ConsoleStores
  /**
   * Required for any bind but loopback: requests must carry it as
   * `Authorization: Bearer <token>`, the `console_token` cookie, or once as
   * `?token=` (which sets the cookie).
   */
  token?: string
  /** Host names answered without a token (DNS-rebinding guard). Default `127.0.0.1`, `localhost`, `[::1]`. */
  loopbackHosts?: readonly string[]
  /** How often live regions re-read the stores, in ms. Default 1000. */
  pollMs?: number
  /** Epoch-ms clock. Default `Date.now`. */
  clock?: () => number
  /** CSRF secret; default 32 random bytes per handler. */
  csrfSecret?: string
}

/** A fetch-style handler, mountable in any server that speaks `Request`/`Response`. @experimental */
export type ConsoleHandler = (request: Request) => Promise<Response>

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]']

function randomHex(bytes: number): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes))
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=')
    if (k === name) return decodeURIComponent(v.join('='))
  }
  return undefined
}

const safeReturn = (v: unknown, fallback: string): string => (typeof v === 'string' && v.startsWith('/') && !v.startsWith('//') ? v : fallback)

/**
 * Creates the loop console: runs (live over SSE), a run's trace tree, delegations,
 * the budget burn-down, and kill/cancel with a confirmation page.
 * @experimental
 * @example
 * const handler = createConsoleHandler({ stores: { traces, delegations, budget, killSwitch } })
 * serve({ fetch: handler, hostname: '127.0.0.1', port: 4319 })
 */
export function createConsoleHandler(options: ConsoleHandlerOptions): ConsoleHandler {
  if (!options || typeof options.stores !== 'object' || options.stores === null) {
    throw new ValidationError('createConsoleHandler: options.stores must be an object ({ traces?, delegations?, budget?, killSwitch? }).')
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length < 16)) {
    throw new ValidationError('createConsoleHandler: token must be a string of at least 16 characters; generate one with `openssl rand -hex 16`.')
  }
  const { stores } = options
  const clock = options.clock ?? (() => Date.now())
  const pollMs = options.pollMs ?? 1000
  const csrf = options.csrfSecret ?? randomHex(32)
  const hosts = new Set(options.loopbackHosts ?? LOOPBACK)
  const app = new Hono()

  const page = async (c: Context, p: Omit<LayoutInput, 'killed' | 'killClearHint'>, code: 200 | 400 | 404 | 409 = 200) => {
    const killed = (await stores.killSwitch?.status()) ?? false
    return c.html(layout({ ...p, killed, ...(stores.killSwitch?.clearHint ? { killClearHint: stores.killSwitch.clearHint } : {}) }), code)
  }

  app.use('*', async (c, next) => {
    const url = new URL(c.req.url)
    if (options.token) {
      const given = c.req.header('authorization')?.replace(/^Bearer\s+/i, '') ?? cookie(c.req.header('cookie'), 'console_token') ?? url.searchParams.get('token') ?? ''
      if (!sameString(given, options.token)) return c.text('401 unauthorized: this console needs its token (Authorization: Bearer <token>, or open it once with ?token=<token>)\n', 401)
      if (url.searchParams.has('token')) {
        url.searchParams.delete('token')
        c.header('set-cookie', `console_token=${encodeURIComponent(options.token)}; Path=/; HttpOnly; SameSite=Strict`)
        return c.redirect(safeReturn(`${url.pathname}${url.search}`, '/'), 303)
      }
    } else {
      const host = (c.req.header('host') ?? url.host).replace(/:\d+$/, '')
      if (!hosts.has(host)) return c.text(`403 forbidden: host '${host}' is not loopback; start the console with a token to serve other hosts\n`, 403)
    }
    c.header('x-content-type-options', 'nosniff')
    c.header('referrer-policy', 'same-origin')
    c.header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
    await next()
  })

  // Kill and cancel are the only writes: a form token and, when the browser sends them, same-origin headers.
  const checkWrite = async (c: Context): Promise<{ error?: string; body: Record<string, unknown> }> => {
    const body: Record<string, unknown> = await c.req.parseBody().catch(() => ({}))
    const origin = c.req.header('origin')
    if (origin && origin !== new URL(c.req.url).origin) return { error: `origin ${origin} is not this console`, body }
    const site = c.req.header('sec-fetch-site')
    if (site && site !== 'same-origin' && site !== 'none') return { error: `cross-site request (${site})`, body }
    const token = typeof body.csrf === 'string' ? body.csrf : ''
    if (!sameString(token, csrf)) return { error: 'missing or wrong form token (field csrf); reload the page and confirm again', body }
    return { body }
  }

  app.get('/assets/console.css', (c) => c.body(CONSOLE_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' }))
  app.get('/assets/console.js', (c) => c.body(CONSOLE_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=300' }))

  const runsBody = async () => {
    const loops = stores.traces ? await listRunSummaries(stores.traces, clock()) : undefined
    const rr = stores.runRows
    return runsPage(loops, rr ? { workspaceId: rr.workspaceId, rows: await rr.adapter.listByWorkspace(rr.workspaceId, { limit: 100 }) } : undefined)
  }
  app.get('/', async (c) => page(c, { title: 'Runs', nav: 'runs', body: await runsBody() }))
  app.get('/runs', async (c) => page(c, { title: 'Runs', nav: 'runs', body: await runsBody() }))

  const loadRun = async (id: string) => {
    const run = stores.traces ? await stores.traces.getRun(id) : null
    if (!run || !stores.traces) return undefined
    const events = await stores.traces.events(id, { kind: 'loop' })
    return { summary: summarizeRun(run, events, clock()), loops: buildTraceTree(events) }
  }
  app.get('/runs/:id', async (c) => {
    const id = c.req.param('id')
    const got = await loadRun(id)
    if (!got) return page(c, { title: 'Run not found', nav: 'runs', body: messagePage('Run not found', `No run '${id}' in the trace store.`) }, 404)
    return page(c, { title: `Run ${id}`, nav: 'runs', body: runPage(got.summary, got.loops) })
  })

  const live = (c: Context, render: () => Promise<{ html: string; done: boolean } | undefined>) =>
    streamSSE(c, async (stream) => {
      let last = ''
      while (!stream.aborted && !stream.closed) {
        const next = await render()
        if (!next) {
          await stream.writeSSE({ event: 'end', data: 'gone' })
          return
        }
        if (next.html !== last) {
          last = next.html
          await stream.writeSSE({ event: 'update', data: next.html })
        }
        if (next.done) {
          await stream.writeSSE({ event: 'end', data: 'done' })
          return
        }
        await stream.sleep(pollMs)
      }
    })
  app.get('/live/runs', (c) => live(c, async () => (stores.traces ? { html: runsTable(await listRunSummaries(stores.traces, clock())).toString(), done: false } : undefined)))
  app.get('/live/runs/:id', (c) =>
    live(c, async () => {
      const got = await loadRun(c.req.param('id'))
      return got ? { html: traceTree(got.summary, got.loops).toString(), done: got.summary.status !== 'running' } : undefined
    }),
  )

  const loadDelegations = async () => {
    if (!stores.delegations) return undefined
    const rows = await stores.delegations.list({ limit: 200 })
    const feedback = rows.length ? await stores.delegations.feedbackForDelegations(rows.map((r) => r.taskId)) : []
    return { rows, feedback }
  }
  app.get('/delegations', async (c) => {
    const got = await loadDelegations()
    if (!got) return page(c, { title: 'Delegations', nav: 'delegations', body: missingStore('delegation', 'Pass stores.delegations (openDelegationStore).') })
    return page(c, { title: 'Delegations', nav: 'delegations', body: delegationsPage(got.rows, got.feedback) })
  })
  app.get('/live/delegations', (c) =>
    live(c, async () => {
      const got = await loadDelegations()
      return got ? { html: delegationsTable(got.rows, got.feedback).toString(), done: false } : undefined
    }),
  )
  app.get('/live/budget', (c) => live(c, async () => (stores.budget ? { html: budgetTable(await budgetRows(stores.budget, clock(), stores.traces ? { traces: stores.traces } : {})).toString(), done: false } : undefined)))
  app.get('/delegations/:id/cancel', async (c) => {
    const id = c.req.param('id')
    const d = await stores.delegations?.get(id)
    if (!d) return page(c, { title: 'Not found', nav: 'delegations', body: messagePage('Delegation not found', `No delegation '${id}'.`, '/delegations') }, 404)
    return page(c, {
      title: 'Cancel delegation',
      nav: 'delegations',
      body: confirmPage({ heading: `Cancel delegation ${id}?`, detail: `It is ${d.status}. Cancelling marks it cancelled in the store; the server running it aborts it at its next progress report and refuses any late result.`, action: `/delegations/${encodeURIComponent(id)}/cancel`, button: 'Cancel delegation', csrf, back: '/delegations' }),
    })
  })
  app.post('/delegations/:id/cancel', async (c) => {
    const { error } = await checkWrite(c)
    if (error) return c.text(`403 forbidden: ${error}\n`, 403)
    const id = c.req.param('id')
    if (!stores.delegations) return c.text('404: no delegation store configured\n', 404)
    const after = await stores.delegations.cancel(id, clock())
    if (!after) return c.text(`404: no delegation '${id}'\n`, 404)
    return c.redirect('/delegations', 303)
  })

  app.get('/budget', async (c) => {
    const body = stores.budget ? budgetPage(await budgetRows(stores.budget, clock(), stores.traces ? { traces: stores.traces } : {})) : missingStore('budget', 'Pass stores.budget ({ ledger, patterns }).')
    return page(c, { title: 'Budget', nav: 'budget', body })
  })

  app.get('/kill', async (c) => {
    if (!stores.killSwitch) return page(c, { title: 'Kill', nav: 'kill', body: missingStore('kill-switch', 'Pass stores.killSwitch.') })
    const back = safeReturn(c.req.query('return'), '/')
    return page(c, {
      title: 'Kill',
      nav: 'kill',
      body: confirmPage({ heading: 'Stop every loop?', detail: 'This engages the kill-switch. Every running loop that checks it halts before its next backend call, and no new tick starts until it is cleared.', action: '/kill', button: 'Engage the kill-switch', csrf, back, returnTo: back }),
    })
  })
  app.post('/kill', async (c) => {
    const { error, body } = await checkWrite(c)
    if (error) return c.text(`403 forbidden: ${error}\n`, 403)
    if (!stores.killSwitch) return c.text('404: no kill-switch configured\n', 404)
    await stores.killSwitch.engage(`engaged from the loop console at ${new Date(clock()).toISOString()}`)
    return c.redirect(safeReturn(body.return, '/'), 303)
  })

  app.notFound((c) => c.text(`404: no page ${new URL(c.req.url).pathname} (pages: /, /runs/:id, /delegations, /budget, /kill)\n`, 404))
  return async (request) => app.fetch(request)
}
