/** The console over PostgreSQL (DATABASE_URL): runs, traces, run rows, delegations and the ledger, in a schema of its own. */
import { rmSync } from 'node:fs'
import {
  createConsoleHandler,
  createGitWorkspace,
  createScriptedTickBackend,
  findPattern,
  loadLoopRegistry,
  type OpenedConsoleStores,
  openConsoleStores,
  openTraceStore,
  runPattern,
} from '@tangle-network/agent-runtime-cli'
import { createSqlRuntimeRunAdapter, pgToSqlAdapter, startRuntimeRun } from '@tangle-network/agent-runtime-core'
import { openDelegationStore } from '@tangle-network/agent-runtime-mcp'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gitRepo } from './bin-helpers.js'
import { FIXTURE_NOW } from './console-fixtures.js'

const BASE = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const SCHEMA = `i16_console_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
// Every table the console and the runner create lands in this schema, so parallel runs never collide.
const URL_IN_SCHEMA = `${BASE}${BASE.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${SCHEMA}`)}`

const dirs: string[] = []
let admin: pg.Pool
let opened: OpenedConsoleStores
let dir: string

beforeAll(async () => {
  admin = new pg.Pool({ connectionString: BASE, max: 1 })
  await admin.query(`CREATE SCHEMA ${SCHEMA}`)
  dir = gitRepo(dirs)
  await recordRunPg()
  const { store } = await openDelegationStore({ env: { DATABASE_URL: URL_IN_SCHEMA }, cwd: dir })
  const d = (await store.submit({ taskId: 'pg-dlg', idempotencyKey: 'pk', profile: 'coder', args: { goal: 'g' }, createdAt: FIXTURE_NOW })).record
  await store.start(d.taskId, d.version, FIXTURE_NOW + 1)
  await store.close()
  const pool = new pg.Pool({ connectionString: URL_IN_SCHEMA, max: 1 })
  const rows = createSqlRuntimeRunAdapter(pgToSqlAdapter(pool))
  await rows.migrate()
  let t = FIXTURE_NOW
  const run = startRuntimeRun({ workspaceId: 'ws-1', taskSpec: { id: 'answer-ticket', intent: 'answer', domain: 'support' }, adapter: rows, id: 'task-run-1', now: () => (t += 250) })
  run.observe({ type: 'llm_call', model: 'm', tokensIn: 1200, tokensOut: 300, costUsd: 0.0042 })
  run.complete({ status: 'completed', resultSummary: 'answered the ticket' })
  await run.persist()
  await pool.end()
  opened = await openConsoleStores({ cwd: dir, env: { DATABASE_URL: URL_IN_SCHEMA }, workspace: 'ws-1' })
}, 120_000)

/** A pattern run (the pattern's default level, L1) whose ledger and traces live in PostgreSQL. */
async function recordRunPg() {
  const traces = await openTraceStore(URL_IN_SCHEMA)
  let t = FIXTURE_NOW
  try {
    await runPattern({
      pattern: findPattern(loadLoopRegistry(`${dir}/registry.yaml`), 'daily-triage'),
      root: dir,
      backend: createScriptedTickBackend(),
      workspace: createGitWorkspace({ repoRoot: dir }),
      dryRun: true,
      ledger: URL_IN_SCHEMA,
      clock: () => (t += 500),
      traces: traces.traces,
      runId: 'pg-run',
    })
  } finally {
    await traces.close()
  }
}

afterAll(async () => {
  await opened?.close()
  await admin?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`)
  await admin?.end()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe('console with DATABASE_URL (PostgreSQL)', () => {
  const page = async (path: string) => {
    const handler = createConsoleHandler({ stores: opened.stores, clock: () => FIXTURE_NOW + 60_000 })
    const res = await handler(new Request(`http://127.0.0.1:4319${path}`))
    return { status: res.status, text: (await res.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') }
  }

  it('reads every store from PostgreSQL, not from SQLite files', async () => {
    expect(opened.describe).toMatch(/^traces postgresql · delegations postgres:127\.0\.0\.1:5432\/test · ledger postgresql$/)
    const runs = await page('/')
    expect(runs.text).toMatch(/pg-run daily-triage L1 completed 1 5,000 \$0\.0000/)
    expect(runs.text).toMatch(/Task runs · workspace ws-1 .* task-run-1 answer-ticket support completed 1,200 \/ 300 \$0\.0042 250 ms .* answered the ticket/)
    expect((await page('/runs/pg-run')).text).toMatch(/iteration 0 mock ok · outcome proposed/)
    expect((await page('/delegations')).text).toMatch(/pg-dlg coder running/)
    expect((await page('/budget')).text).toMatch(/Daily Triage daily-triage 5,000 12,000 7,000/)
  })
})
