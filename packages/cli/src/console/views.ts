/** Server-rendered pages of the console (hono/html escapes every value). */
import type { RuntimeRunRow } from '@tangle-network/agent-runtime-core'
import type { DelegationRecord, FeedbackRecord } from '@tangle-network/agent-runtime-mcp'
import { html, raw } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { BudgetRow, IterationView, LoopView, RunSummary } from './model.js'

type Html = HtmlEscapedString
// Every template here interpolates only strings and other synchronous templates, so `html` returns synchronously.
const h = (strings: TemplateStringsArray, ...values: unknown[]): Html => html(strings, ...values) as Html
const join = (parts: readonly Html[]): Html => raw(parts.join(''))

export const fmtUsd = (n: number | undefined): string => (n === undefined ? '—' : `$${n.toFixed(n >= 1 ? 2 : 4)}`)
export const fmtTokens = (n: number | undefined): string => (n === undefined ? '—' : n.toLocaleString('en-US'))
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}
const fmtTime = (ms: number | undefined): string => (ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19))
const status = (s: string): Html => h`<span class="st st-${s}">${s}</span>`

/** What every page shows around its body. */
export interface LayoutInput {
  title: string
  nav: 'runs' | 'delegations' | 'budget' | 'kill'
  killed: string | false
  killClearHint?: string
  body: Html
}

export function layout(p: LayoutInput): Html {
  const link = (href: string, id: LayoutInput['nav'], label: string) => (p.nav === id ? h`<a href="${href}" aria-current="page">${label}</a>` : h`<a href="${href}">${label}</a>`)
  return h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${p.title} · agent-runtime console</title><link rel="stylesheet" href="/assets/console.css"></head>
<body><header><b>agent-runtime console</b><nav>${link('/', 'runs', 'Runs')}${link('/delegations', 'delegations', 'Delegations')}${link('/budget', 'budget', 'Budget')}</nav>
<span style="margin-left:auto">${p.killed ? h`<span class="st st-halted">kill-switch on</span>` : h`<a class="kill" href="/kill">Kill…</a>`}</span></header>
<main>${p.killed ? h`<div class="banner" role="status">Kill-switch engaged: ${p.killed}. Loops halt at their next check.${p.killClearHint ? h` To resume: ${p.killClearHint}.` : ''}</div>` : ''}${p.body}</main>
<script src="/assets/console.js" defer></script></body></html>`
}

export function missingStore(what: string, hint: string): Html {
  return h`<p class="muted">No ${what} store is configured. ${hint}</p>`
}

/** The runs table (also the SSE fragment of `/live/runs`). */
export function runsTable(rows: readonly RunSummary[]): Html {
  if (rows.length === 0) return h`<p class="muted" id="no-runs">No runs in the last 7 days.</p>`
  const body = rows.map(
    (r) => h`<tr data-run="${r.run.runId}"><td><a href="/runs/${encodeURIComponent(r.run.runId)}">${r.run.runId}</a></td><td>${r.run.agentId}${r.run.variantId ? h` <span class="muted">${r.run.variantId}</span>` : ''}</td>
<td>${status(r.status)}</td><td class="n" data-col="iterations">${r.iterations}</td><td class="n">${fmtTokens(r.tokens)}</td><td class="n">${fmtUsd(r.costUsd)}</td><td class="n">${fmtMs(r.durationMs)}</td><td>${fmtTime(r.run.startedAt)}</td></tr>`,
  )
  return h`<table id="runs"><thead><tr><th>Run</th><th>Mode or pattern</th><th>Status</th><th>Iterations</th><th>Tokens</th><th>Cost</th><th>Duration</th><th>Started (UTC)</th></tr></thead><tbody>${join(body)}</tbody></table>`
}

export function runsPage(rows: readonly RunSummary[] | undefined, taskRuns?: { workspaceId: string; rows: readonly RuntimeRunRow[] }): Html {
  const loops = rows ? h`<p class="live-dot">Live: this table updates as loops run.</p><div data-live="/live/runs">${runsTable(rows)}</div>` : missingStore('trace', 'Pass stores.traces (createSqlTraceStore) to see loop runs.')
  return h`<h1>Runs</h1>${loops}${taskRuns ? runRowsTable(taskRuns.workspaceId, taskRuns.rows) : ''}`
}

/** Runtime run rows (tasks and chat turns) of one workspace. */
export function runRowsTable(workspaceId: string, rows: readonly RuntimeRunRow[]): Html {
  const head = h`<h2>Task runs · workspace ${workspaceId}</h2>`
  if (rows.length === 0) return h`${head}<p class="muted">No run rows in this workspace.</p>`
  const body = rows.map(
    (r) => h`<tr data-run-row="${r.id}"><td>${r.id}</td><td>${r.taskId}${r.domain ? h` <span class="muted">${r.domain}</span>` : ''}${r.agentId ? h`<div class="muted">${r.agentId}</div>` : ''}</td><td>${status(r.status)}</td>
<td class="n">${fmtTokens(r.cost.tokensIn)} / ${fmtTokens(r.cost.tokensOut)}</td><td class="n">${fmtUsd(r.cost.costUsd)}</td><td class="n">${fmtMs(r.cost.wallMs)}</td><td>${r.startedAt.replace('T', ' ').slice(0, 19)}</td><td>${r.error ? h`<span class="st-bad">${r.error}</span>` : (r.resultSummary ?? '')}</td></tr>`,
  )
  return h`${head}<table id="run-rows"><thead><tr><th>Run</th><th>Task</th><th>Status</th><th>Tokens in / out</th><th>Cost</th><th>Wall</th><th>Started (UTC)</th><th>Result</th></tr></thead><tbody>${join(body)}</tbody></table>`
}

function iterationNode(it: IterationView, winner: boolean): Html {
  const verdict = it.state === 'running' ? status('running') : it.valid === undefined ? '' : status(it.valid ? 'ok' : 'bad')
  return h`<li class="iteration" data-iteration="${String(it.index)}"><div class="node"><b>iteration ${String(it.index)}</b>${it.agentRunName ? h` <span class="muted">${it.agentRunName}</span>` : ''} ${verdict}${winner ? h` <b>winner</b>` : ''}
${it.outcome ? h` · outcome <b>${it.outcome}</b>` : ''}${it.score !== undefined ? h` · score ${it.score.toFixed(2)}` : ''} · ${fmtTokens(it.tokens)} tokens · ${fmtUsd(it.costUsd)} · ${fmtMs(it.durationMs)}
${it.notes ? h`<div class="muted">verdict: ${it.notes}</div>` : ''}${it.preview ? (it.preview.length > 120 ? h`<details><summary>output: ${it.preview.slice(0, 100)}…</summary><pre>${it.preview}</pre></details>` : h`<div class="muted">${it.preview}</div>`) : ''}${it.error ? h`<div class="st-bad">${it.error}</div>` : ''}
${it.failedChecks.length ? h`<ul class="checks">${join(it.failedChecks.map((c) => h`<li>✗ ${c}</li>`))}</ul>` : ''}
${it.files.length ? h`<div class="muted">files: ${it.files.join(', ')}</div>` : ''}${it.patch ? h`<details><summary>patch (${String(it.patch.split('\n').length)} lines)</summary><pre>${it.patch}</pre></details>` : ''}</div></li>`
}

/** The loop → round → iteration tree (also the SSE fragment of `/live/runs/:id`). */
export function traceTree(run: RunSummary, loops: readonly LoopView[]): Html {
  const head = h`<p id="run-status">${status(run.status)} · ${String(run.iterations)} iterations · ${fmtTokens(run.tokens)} tokens · ${fmtUsd(run.costUsd)} · ${fmtMs(run.durationMs)}${run.run.error ? h` · <span class="st-bad">${run.run.error}</span>` : ''}</p>`
  if (loops.length === 0) return h`${head}<p class="muted">No loop events recorded for this run yet.</p>`
  const tree = loops.map(
    (l, i) => h`<li class="loop"><div class="node"><b>loop ${String(i + 1)}</b>${l.label ? h` ${l.label}` : ''}${l.driver ? h` <span class="muted">driver ${l.driver}</span>` : ''} ${status(l.state === 'running' ? 'running' : 'completed')}${l.decision ? h` · decision <b>${l.decision}</b>` : ''} · ${fmtTokens(l.tokens)} tokens · ${fmtUsd(l.costUsd)}${l.durationMs !== undefined ? h` · ${fmtMs(l.durationMs)}` : ''}</div>
<ul>${join(l.rounds.map((r) => h`<li class="round" data-round="${String(r.index)}"><div class="node"><b>round ${String(r.index)}</b>${r.moveKind ? h` <span class="muted">${r.moveKind}</span>` : ''}${r.decision ? h` · decision <b>${r.decision}</b>` : ''}${r.rationale ? h`<div class="muted">${r.rationale}</div>` : ''}</div><ul>${join(r.iterations.map((it) => iterationNode(it, l.winner === it.index)))}</ul></li>`))}</ul></li>`,
  )
  return h`${head}<ul class="tree" id="tree">${join(tree)}</ul>`
}

export function runPage(run: RunSummary, loops: readonly LoopView[]): Html {
  const id = run.run.runId
  return h`<p><a href="/">← Runs</a></p><h1>Run ${id}</h1><p class="muted">${run.run.agentId}${run.run.variantId ? ` · ${run.run.variantId}` : ''} · started ${fmtTime(run.run.startedAt)} UTC</p>
${run.status === 'running' ? h`<p><a class="kill" href="/kill?return=${encodeURIComponent(`/runs/${encodeURIComponent(id)}`)}">Kill…</a> <span class="muted">engages the kill-switch: this loop stops at its next check</span></p>` : ''}
<div data-live="/live/runs/${encodeURIComponent(id)}">${traceTree(run, loops)}</div>`
}

function delegationResult(d: DelegationRecord): Html {
  if (d.error) return h`<span class="st-bad">${d.error.kind}: ${d.error.message}</span>`
  if (d.output === undefined) return h`<span class="muted">—</span>`
  const text = JSON.stringify(d.output, null, 2)
  return h`<details><summary>${text.length > 80 ? `${text.replace(/\s+/g, ' ').slice(0, 80)}…` : text}</summary><pre>${text}</pre></details>`
}

export function delegationsPage(rows: readonly DelegationRecord[], feedback: readonly FeedbackRecord[]): Html {
  return h`<h1>Delegations</h1><div data-live="/live/delegations">${delegationsTable(rows, feedback)}</div>`
}

/** The delegations table (also the SSE fragment of `/live/delegations`). */
export function delegationsTable(rows: readonly DelegationRecord[], feedback: readonly FeedbackRecord[]): Html {
  if (rows.length === 0) return h`<p class="muted">No delegations yet.</p>`
  const body = rows.map((d) => {
    const fb = feedback.filter((f) => f.refersTo.ref === d.taskId)
    const live = d.status === 'pending' || d.status === 'running'
    return h`<tr data-delegation="${d.taskId}"><td>${d.taskId}<div class="muted">${d.profile}${d.namespace ? ` · ${d.namespace}` : ''}</div></td><td>${status(d.status)}</td>
<td>${d.progress ? `iteration ${d.progress.iteration} · ${d.progress.phase}` : '—'}</td><td class="n">${fmtUsd(d.costUsd)}</td><td>${delegationResult(d)}</td>
<td>${fb.length ? h`<ul>${join(fb.map((f) => h`<li>${f.capturedAt.slice(0, 19)} · ${f.by} · ${f.rating.score.toFixed(2)}${f.rating.label ? ` ${f.rating.label}` : ''}: ${f.rating.notes}</li>`))}</ul>` : h`<span class="muted">none</span>`}</td>
<td>${live ? h`<a class="kill" href="/delegations/${encodeURIComponent(d.taskId)}/cancel">Cancel…</a>` : ''}</td></tr>`
  })
  return h`<table id="delegations"><thead><tr><th>Task</th><th>Status</th><th>Progress</th><th>Cost</th><th>Result</th><th>Feedback</th><th></th></tr></thead><tbody>${join(body)}</tbody></table>`
}

/** Today's burn curve: cumulative tokens per finished iteration against the cap (dashed), as inline SVG. */
function burnChart(r: BudgetRow): Html {
  if (r.burn.length === 0) return h`<span class="muted">no iterations traced today</span>`
  const W = 240
  const H = 44
  const first = r.burn[0]!.at
  const last = r.burn[r.burn.length - 1]!.at
  const span = Math.max(1, last - first)
  const top = Math.max(r.dailyTokenCap ?? 0, r.burn[r.burn.length - 1]!.tokens) || 1
  const x = (at: number) => ((at - first) / span) * (W - 4) + 2
  const y = (tokens: number) => H - 2 - (tokens / top) * (H - 4)
  let prev = 0
  const pts = [`${x(first).toFixed(1)},${y(0).toFixed(1)}`]
  for (const p of r.burn) {
    pts.push(`${x(p.at).toFixed(1)},${y(prev).toFixed(1)}`, `${x(p.at).toFixed(1)},${y(p.tokens).toFixed(1)}`)
    prev = p.tokens
  }
  const cap = r.dailyTokenCap !== undefined ? h`<line class="cap" x1="0" x2="${String(W)}" y1="${y(r.dailyTokenCap).toFixed(1)}" y2="${y(r.dailyTokenCap).toFixed(1)}" stroke="#b3261e" stroke-dasharray="4 3"></line>` : ''
  return h`<svg class="burn" width="${String(W)}" height="${String(H)}" viewBox="0 0 ${String(W)} ${String(H)}" role="img" aria-label="${String(r.burn.length)} iterations today, ${fmtTokens(prev)} tokens"><rect width="${String(W)}" height="${String(H)}" fill="#fff" stroke="#deded8"></rect>${cap}<polyline fill="none" stroke="#1f7a3a" stroke-width="2" points="${pts.join(' ')}"></polyline></svg>`
}

export function budgetPage(rows: readonly BudgetRow[]): Html {
  return h`<h1>Budget${rows[0] ? ` · ${rows[0].day}` : ''}</h1><div data-live="/live/budget">${budgetTable(rows)}</div>`
}

/** The budget table (also the SSE fragment of `/live/budget`). */
export function budgetTable(rows: readonly BudgetRow[]): Html {
  if (rows.length === 0) return h`<p class="muted">No patterns to show (the console reads them from registry.yaml).</p>`
  const body = rows.map((r) => {
    const pct = r.used === undefined ? undefined : Math.round(r.used * 100)
    const cls = r.used === undefined ? 'bar' : r.used >= 1 ? 'bar over' : r.used >= 0.8 ? 'bar hot' : 'bar'
    const peak = Math.max(1, ...r.history.map((d) => d.tokens))
    const remaining = r.dailyTokenCap !== undefined ? Math.max(0, r.dailyTokenCap - r.tokens) : undefined
    return h`<tr data-pattern="${r.id}"><td><b>${r.name}</b><div class="muted">${r.id}</div></td><td class="n">${fmtTokens(r.tokens)}</td><td class="n">${r.dailyTokenCap !== undefined ? fmtTokens(r.dailyTokenCap) : 'no cap'}</td>
<td class="n">${remaining !== undefined ? fmtTokens(remaining) : '—'}</td><td class="n">${fmtUsd(r.costUsd)}${r.dailyCostCapUsd !== undefined ? ` of ${fmtUsd(r.dailyCostCapUsd)}` : ''}</td>
<td><div class="${cls}" role="meter" aria-valuenow="${String(pct ?? 0)}" aria-valuemin="0" aria-valuemax="100" title="${pct === undefined ? 'no cap' : `${pct}% of the cap`}"><span style="width:${String(Math.min(100, pct ?? 0))}%"></span></div>${pct !== undefined ? h`<span class="muted">${String(pct)}% of today's cap</span>` : ''}</td><td>${burnChart(r)}</td>
<td><div class="spark" title="tokens per day, last ${String(r.history.length)} days">${join(r.history.map((d) => h`<i style="height:${String(Math.max(1, Math.round((d.tokens / peak) * 28)))}px" title="${d.day}: ${fmtTokens(d.tokens)} tokens"></i>`))}</div></td></tr>`
  })
  return h`<table id="budget"><thead><tr><th>Pattern</th><th>Spent today</th><th>Daily cap</th><th>Remaining</th><th>Cost</th><th>Share of cap</th><th>Today's burn</th><th>Last days</th></tr></thead><tbody>${join(body)}</tbody></table>`
}

export function confirmPage(p: { heading: string; detail: string; action: string; button: string; csrf: string; back: string; returnTo?: string }): Html {
  return h`<h1>${p.heading}</h1><p>${p.detail}</p><form method="post" action="${p.action}"><input type="hidden" name="csrf" value="${p.csrf}">${p.returnTo ? h`<input type="hidden" name="return" value="${p.returnTo}">` : ''}
<button class="danger" type="submit" id="confirm">${p.button}</button> <a class="btn" href="${p.back}">Keep running</a></form>`
}

export function messagePage(heading: string, detail: string, back = '/'): Html {
  return h`<h1>${heading}</h1><p>${detail}</p><p><a href="${back}">Back</a></p>`
}
