import Database from 'better-sqlite3'
import {
  type RuntimeRunRow,
  RuntimeRunStateError,
  ValidationError,
  betterSqlite3ToSqlAdapter,
  createSqlRuntimeRunAdapter,
  pgToSqlAdapter,
  startRuntimeRun,
} from '@tangle-network/agent-runtime-core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const taskSpec = { id: 'task-1', intent: 'summarise', domain: 'docs' }

function clock(start = Date.parse('2025-03-01T10:00:00Z')) {
  let t = start
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms
    },
  }
}

async function expectError(fn: () => unknown, cls: new (...a: never[]) => Error, code: string, message: string) {
  const err = await (async () => fn())().then(
    () => undefined,
    (e) => e,
  )
  expect(err).toBeInstanceOf(cls)
  expect(err.code).toBe(code)
  expect(err.message).toBe(message)
}

describe('startRuntimeRun', () => {
  it('builds a running row with a default id and a cost ledger from llm_call events only', () => {
    const c = clock()
    const run = startRuntimeRun({ workspaceId: 'ws', taskSpec, sessionId: 's', agentId: 'a', scenarioId: 'sc', now: c.now })
    expect(run.id).toMatch(/^task-1:[0-9a-z]{8}$/)
    run.observe({ type: 'llm_call', model: 'm', tokensIn: 10, tokensOut: 4, costUsd: 0.01, timestamp: 'x' })
    run.observe({ type: 'llm_call', model: 'm', tokensIn: Number.NaN, costUsd: Number.POSITIVE_INFINITY, timestamp: 'x' })
    run.observe({ type: 'text_delta', text: 'ignored', timestamp: 'x' })
    c.advance(1500)
    expect(run.cost()).toEqual({ tokensIn: 10, tokensOut: 4, costUsd: 0.01, wallMs: 1500, llmCalls: 2 })
    expect(run.toRow()).toEqual({
      id: run.id,
      workspaceId: 'ws',
      sessionId: 's',
      agentId: 'a',
      domain: 'docs',
      taskId: 'task-1',
      scenarioId: 'sc',
      status: 'running',
      cost: { tokensIn: 10, tokensOut: 4, costUsd: 0.01, wallMs: 1500, llmCalls: 2 },
      startedAt: '2025-03-01T10:00:00.000Z',
    })
  })

  it('completes once: wall time freezes, cost overrides the ledger, same status is a no-op', () => {
    const c = clock()
    const run = startRuntimeRun({ workspaceId: 'ws', taskSpec, id: 'r1', now: c.now })
    run.observe({ type: 'llm_call', model: 'm', tokensIn: 5 })
    c.advance(200)
    const row = run.complete({ status: 'completed', resultSummary: 'ok', cost: { costUsd: 0.5 }, metadata: { a: 1 } })
    c.advance(10_000)
    expect(row).toMatchObject({ status: 'completed', resultSummary: 'ok', completedAt: '2025-03-01T10:00:00.200Z', metadata: { a: 1 } })
    expect(run.cost()).toEqual({ tokensIn: 5, tokensOut: 0, costUsd: 0.5, wallMs: 200, llmCalls: 1 })
    expect(run.complete({ status: 'completed' }).resultSummary).toBe('ok')
    expect(run.status()).toBe('completed')
    expect(run.toRow({ b: 2 }).metadata).toEqual({ a: 1, b: 2 })
  })

  it('rejects a conflicting terminal status with RuntimeRunStateError', async () => {
    const run = startRuntimeRun({ workspaceId: 'ws', taskSpec })
    run.complete({ status: 'failed', error: 'boom' })
    await expectError(() => run.complete({ status: 'completed' }), RuntimeRunStateError, 'validation', 'Cannot transition runtime run from "failed" to "completed"')
  })

  it('rejects completing with "running" or an unknown status', async () => {
    const run = startRuntimeRun({ workspaceId: 'ws', taskSpec })
    await expectError(
      () => run.complete({ status: 'running' as never }),
      ValidationError,
      'validation',
      'complete() needs a terminal status (completed, failed or cancelled); received "running".',
    )
    await expectError(
      () => run.complete({ status: 'done' as never }),
      ValidationError,
      'validation',
      'complete() needs a terminal status (completed, failed or cancelled); received "done".',
    )
  })

  it('validates workspaceId and taskSpec.id', async () => {
    await expectError(
      () => startRuntimeRun({ workspaceId: '', taskSpec }),
      ValidationError,
      'validation',
      'startRuntimeRun: workspaceId must be a non-empty string; received "".',
    )
    await expectError(
      () => startRuntimeRun({ workspaceId: 'ws', taskSpec: { intent: 'x' } as never }),
      ValidationError,
      'validation',
      'startRuntimeRun: taskSpec.id must be a non-empty string; received undefined.',
    )
  })

  it('persist: throws before complete, is a no-op without adapter, propagates adapter errors', async () => {
    const run = startRuntimeRun({ workspaceId: 'ws', taskSpec, id: 'r2' })
    await expectError(() => run.persist(), RuntimeRunStateError, 'validation', 'Cannot persist runtime run "r2" while it is running; call complete({ status }) first.')
    run.complete({ status: 'cancelled' })
    expect((await run.persist()).status).toBe('cancelled')
    const failing = startRuntimeRun({
      workspaceId: 'ws',
      taskSpec,
      adapter: {
        upsert() {
          throw new Error('disk full')
        },
      },
    })
    failing.complete({ status: 'completed' })
    await expect(failing.persist()).rejects.toThrow('disk full')
  })

  it('createSqlRuntimeRunAdapter rejects a bad table name and a non-adapter', async () => {
    const sql = betterSqlite3ToSqlAdapter(new Database(':memory:'))
    await expectError(
      () => createSqlRuntimeRunAdapter(sql, { table: 'runs; drop table x' }),
      ValidationError,
      'validation',
      'createSqlRuntimeRunAdapter: table name "runs; drop table x" is not a plain SQL identifier; use letters, digits and underscores.',
    )
    await expectError(
      () => createSqlRuntimeRunAdapter({} as never),
      ValidationError,
      'validation',
      'createSqlRuntimeRunAdapter: expected a SqlAdapter (exec, query); wrap your driver with betterSqlite3ToSqlAdapter or pgToSqlAdapter.',
    )
  })
})

/** The same persistence behaviour, run against each real database. */
function persistenceSuite(name: string, setup: () => Promise<{ sql: ReturnType<typeof betterSqlite3ToSqlAdapter>; table: string; teardown(): Promise<void> }>) {
  describe(`createSqlRuntimeRunAdapter on ${name}`, () => {
    let ctx: Awaited<ReturnType<typeof setup>>
    beforeAll(async () => {
      ctx = await setup()
    })
    afterAll(async () => {
      await ctx.teardown()
    })

    it('migrates idempotently, upserts through persist, and reads rows back', async () => {
      const runs = createSqlRuntimeRunAdapter(ctx.sql, { table: ctx.table })
      await runs.migrate()
      await runs.migrate()
      const c = clock()
      const run = startRuntimeRun({ workspaceId: 'ws-a', taskSpec, id: 'run-1', sessionId: 'sess', adapter: runs, now: c.now })
      run.observe({ type: 'llm_call', model: 'm', tokensIn: 12, tokensOut: 3, costUsd: 0.0125 })
      c.advance(750)
      run.complete({ status: 'completed', resultSummary: 'summary', metadata: { tags: ['x'] } })
      await run.persist({ extra: true })
      const row = (await runs.get('run-1')) as RuntimeRunRow
      expect(row).toEqual({
        id: 'run-1',
        workspaceId: 'ws-a',
        sessionId: 'sess',
        domain: 'docs',
        taskId: 'task-1',
        status: 'completed',
        resultSummary: 'summary',
        cost: { tokensIn: 12, tokensOut: 3, costUsd: 0.0125, wallMs: 750, llmCalls: 1 },
        startedAt: '2025-03-01T10:00:00.000Z',
        completedAt: '2025-03-01T10:00:00.750Z',
        metadata: { tags: ['x'], extra: true },
      })
      // Upsert replaces the row in place.
      await runs.upsert({ ...row, status: 'failed', error: 'late failure', resultSummary: undefined })
      expect(await runs.get('run-1')).toMatchObject({ status: 'failed', error: 'late failure' })
      expect((await runs.get('run-1'))?.resultSummary).toBeUndefined()
      expect(await runs.get('missing')).toBeUndefined()
    })

    it('lists a workspace newest first with a limit', async () => {
      const runs = createSqlRuntimeRunAdapter(ctx.sql, { table: ctx.table })
      await runs.migrate()
      for (const [i, ws] of [
        [1, 'ws-b'],
        [2, 'ws-b'],
        [3, 'ws-c'],
      ] as const) {
        const run = startRuntimeRun({ workspaceId: ws, taskSpec, id: `list-${i}`, adapter: runs, now: () => Date.UTC(2025, 0, i) })
        run.complete({ status: 'completed' })
        await run.persist()
      }
      expect((await runs.listByWorkspace('ws-b')).map((r) => r.id)).toEqual(['list-2', 'list-1'])
      expect((await runs.listByWorkspace('ws-b', { limit: 1 })).map((r) => r.id)).toEqual(['list-2'])
      await expectError(() => runs.listByWorkspace('ws-b', { limit: 0 }), ValidationError, 'validation', 'listByWorkspace: limit must be a positive integer; received 0.')
    })
  })
}

persistenceSuite('SQLite (better-sqlite3)', async () => {
  const db = new Database(':memory:')
  return { sql: betterSqlite3ToSqlAdapter(db), table: 'runs_test', teardown: async () => void db.close() }
})

persistenceSuite('PostgreSQL', async () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' })
  await client.connect()
  const table = `runs_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const sql = pgToSqlAdapter(client)
  return {
    sql,
    table,
    teardown: async () => {
      await sql.exec(`DROP TABLE IF EXISTS ${table}`)
      await client.end()
    },
  }
})
