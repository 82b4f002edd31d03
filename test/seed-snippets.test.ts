/**
 * The seed documents' snippets (seeds 001 and 002), run as a user would write
 * them against the root entry `@tangle-network/agent-runtime`. Each block
 * keeps the seed's calls as written; only the surrounding values (a task, a
 * backend, a database) are filled in.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import {
  type AgentAdapter,
  type AgentEvalErrorCode,
  type AgentKnowledgeProvider,
  type AgentRuntimeEventSink,
  type AgentTaskContext,
  type AgentTaskRunResult,
  BackendTransportError,
  ConfigError,
  type D1StmtLike,
  type DataAcquisitionPlan,
  type ExecCtx,
  FileConversationJournal,
  JudgeError,
  type ModelInfo,
  type OtelExportConfig,
  PlannerError,
  type ResolvedChatModel,
  type RouterEnv,
  RuntimeRunStateError,
  type RuntimeStreamEventCollector,
  type SqlAdapter,
  SqlConversationJournal,
  createRuntimeEventCollector,
  createRuntimeStreamEventCollector,
  createSqlChatTurnReplayStore,
  createSqlRuntimeRunAdapter,
  defineConversation,
  resolveChatModel,
  resolveRouterBaseUrl,
  runAgentTask,
  runAgentTaskStream,
  runConversation,
  startRuntimeRun,
  toPostgresPlaceholders,
  validateChatModelId,
} from '@tangle-network/agent-runtime'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'
import Database from 'better-sqlite3'
import { build } from 'esbuild'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..')

describe('seed 001: runAgentTask', () => {
  it('hands validate and decide one context object, so `{ state }` is the observed state', async () => {
    const seen: unknown[] = []
    const result = await runAgentTask({
      task: { id: 'review-2026-return', intent: 'Review the return', domain: 'tax' },
      adapter: {
        async observe() {
          return { documents: 3 }
        },
        async validate({ state }) {
          seen.push(state)
          // Not yet reviewed: the loop goes on to decide.
          return [{ id: 'reviewed', passed: state.documents === 0, severity: 'error' }]
        },
        async decide({ state }) {
          seen.push(state)
          return { type: 'stop', pass: true, score: 1, reason: 'done' }
        },
        async act() {
          return undefined
        },
      },
    })
    console.log(result.status, result.runRecords)
    expect(seen).toEqual([{ documents: 3 }, { documents: 3 }])
    expect(result.status).toBe('completed')
    expect(result.runRecords).toHaveLength(1)
  })
})

describe('seed 001: model resolution', () => {
  let server: ReturnType<typeof createServer>
  let env: Record<string, string | undefined>
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(req.url === '/v1/models' ? JSON.stringify({ data: [{ id: 'claude-sonnet-4-6' }, { id: 'gpt-4o', provider: 'openai' }] }) : '{}')
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    env = { TANGLE_ROUTER_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, TCLOUD_CHAT_MODEL: undefined }
  })
  afterAll(() => new Promise<void>((done) => server.close(() => done())))

  async function seedSnippet(requestBody: { model?: string }, workspace: { pinnedModel?: string }) {
    const routerBaseUrl = resolveRouterBaseUrl(env)
    const { model, source } = resolveChatModel(
      [
        { source: 'request', model: requestBody.model },
        { source: 'workspace', model: workspace.pinnedModel },
        { source: 'env', model: env.TCLOUD_CHAT_MODEL },
      ],
      { source: 'default', model: 'claude-sonnet-4-6' },
    )
    const validation = await validateChatModelId(model, {
      routerBaseUrl,
      allowlist: ['claude-sonnet-4-6'],
    })
    if (!validation.succeeded) throw new ConfigError(validation.error)
    return { model, source }
  }

  it('picks the first candidate object with a model and says which source it came from', async () => {
    expect(await seedSnippet({}, { pinnedModel: ' openai/gpt-4o ' })).toEqual({ model: 'openai/gpt-4o', source: 'workspace' })
    expect(await seedSnippet({}, {})).toEqual({ model: 'claude-sonnet-4-6', source: 'default' })
  })

  it('refuses a model the catalog lacks with a ConfigError carrying the verdict text', async () => {
    const err = await seedSnippet({ model: 'openai/gpt-9' }, {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).toMatchObject({ code: 'config', message: 'Model is not available: openai/gpt-9' })
  })
})

describe('seed 001: telemetry collectors', () => {
  it('createRuntimeStreamEventCollector has onEvent, an events array and summary()', async () => {
    const task = { id: 'collect', intent: 'Run a chat turn', inputs: { question: 'secret 4111' } }
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'hello' }]] })
    const telemetry = createRuntimeStreamEventCollector()
    for await (const event of runAgentTaskStream({ task, backend })) telemetry.onEvent(event)
    console.log(telemetry.events, telemetry.summary())
    expect(Array.isArray(telemetry.events)).toBe(true)
    expect(telemetry.events.map((e) => e.type)).toContain('final')
    expect(telemetry.summary()).toMatchObject({ status: 'completed', textChars: 5, eventCount: telemetry.events.length })
    expect(JSON.stringify(telemetry.events)).not.toContain('4111')
  })

  it('createRuntimeEventCollector does the same for runAgentTask, and onEvent works detached', async () => {
    const telemetry = createRuntimeEventCollector()
    await runAgentTask({
      task: { id: 't', intent: 'count' },
      adapter: { observe: () => 1, validate: () => [], decide: () => ({ type: 'stop', pass: true, reason: 'done' }), act: () => undefined },
      onEvent: telemetry.onEvent,
    })
    expect(telemetry.events.map((e) => e.type)).toEqual(['task_start', 'readiness_start', 'readiness_end', 'control_start', 'control_end', 'task_end'])
    expect(telemetry.summary()).toMatchObject({ status: 'completed', eventCount: 6 })
  })
})

describe('seed 001: startRuntimeRun with runAgentTaskStream and the collector', () => {
  it('records the run once, with the collected events', async () => {
    const threadId = 'thread-1'
    const taskSpec = { id: 'legal-chat', intent: 'Run a chat turn' }
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'answer' }]] })
    const input = { task: taskSpec, message: 'question' }
    const rows: unknown[] = []
    const db = { insert: (_table: string) => ({ values: async (row: unknown) => void rows.push(row) }) }
    const agentRuns = 'agent_runs'
    const telemetry = createRuntimeStreamEventCollector()
    const run = startRuntimeRun({
      workspaceId: 'ws-1',
      sessionId: threadId,
      agentId: 'legal-chat-runtime',
      taskSpec,
      scenarioId: `legal-chat:${threadId}`,
      adapter: { upsert: (row) => db.insert(agentRuns).values(row) },
    })
    for await (const event of runAgentTaskStream({ task: taskSpec, backend, input })) {
      telemetry.onEvent(event)
      run.observe(event)
      if (event.type === 'final') {
        run.complete({ status: event.status === 'completed' ? 'completed' : 'failed', resultSummary: event.text ?? '' })
      }
    }
    await run.persist({ runtimeEvents: telemetry.events })
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ workspaceId: 'ws-1', status: 'completed', resultSummary: 'answer', scenarioId: 'legal-chat:thread-1' })
    expect((rows[0] as { metadata: { runtimeEvents: unknown[] } }).metadata.runtimeEvents).toHaveLength(telemetry.events.length)
  })
})

describe('seed 002: FileConversationJournal from the root', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'seed-file-journal-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const conversation = () =>
    defineConversation({
      participants: [
        { name: 'a', backend: createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'ping' }]] }) },
        { name: 'b', backend: createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'pong' }]] }) },
      ],
      policy: { maxTurns: 2 },
    })

  it('on Node the root export is the real journal, and a run survives a new instance', async () => {
    const path = join(dir, 'conv.jsonl')
    const journal = new FileConversationJournal(path)
    const result = await runConversation(conversation(), { seed: 'hi', runId: 'run_abc', journal })
    expect(result.turns).toBe(2)
    await journal.close()
    const reread = await new FileConversationJournal(path).loadRun('run_abc')
    expect(reread?.turns.map((t) => t.text)).toEqual(['ping', 'pong'])
  })

  it('the Workers entry exports a stand-in that refuses with a ConfigError naming the alternatives', async () => {
    const workers = await import('../packages/agent-runtime/src/index.js')
    expect(() => new workers.FileConversationJournal(join(dir, 'x.jsonl'))).toThrow(/SqlConversationJournal with d1ToSqlAdapter/)
    expect(() => new workers.FileConversationJournal('x')).toThrow(ConfigError)
  })

  it('the Node entry exports every name of the Workers entry, plus only the Node-only adapters', async () => {
    const workers = await import('../packages/agent-runtime/src/index.js')
    const node = await import('../packages/agent-runtime/src/index-node.js')
    const nodeOnly = Object.keys(await import('../packages/core/src/node.js'))
    expect(nodeOnly).toContain('createOtelExporter')
    expect(Object.keys(node).sort()).toEqual([...new Set([...Object.keys(workers), ...nodeOnly])].sort())
    expect(node.FileConversationJournal).not.toBe(workers.FileConversationJournal)
  })

  async function bundleRoot(platform: 'neutral' | 'node', conditions: string[]) {
    const out = await build({
      stdin: { contents: "export { FileConversationJournal, runAgentTask } from '@tangle-network/agent-runtime'", resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      write: false,
      platform,
      format: 'esm',
      mainFields: ['module', 'main'],
      conditions: [...conditions, 'source'],
      external: ['@opentelemetry/*', 'zod'],
      logLevel: 'silent',
      metafile: true,
    })
    const inputs = Object.keys(out.metafile.inputs)
    const imports = Object.values(out.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path))
    return { inputs, builtins: imports.filter((p) => p.startsWith('node:')) }
  }

  for (const condition of ['workerd', 'worker', 'browser']) {
    it(`a bundle for the "${condition}" condition reaches no node: built-in`, async () => {
      const { inputs, builtins } = await bundleRoot('neutral', [condition])
      expect(builtins).toEqual([])
      expect(inputs.some((p) => p.endsWith('agent-runtime/src/file-journal-unavailable.ts'))).toBe(true)
      expect(inputs.some((p) => p.endsWith('conversations/src/node/file-journal.ts'))).toBe(false)
    })
  }

  it('a bundle for the "node" condition carries the real file journal', async () => {
    const { inputs, builtins } = await bundleRoot('node', ['node'])
    expect(inputs.some((p) => p.endsWith('conversations/src/node/file-journal.ts'))).toBe(true)
    expect(builtins).toContain('node:fs/promises')
  })
})

describe('seed 002: a seed-shaped SqlAdapter ({ rowsAffected }, no dialect) works with every store', () => {
  // The seed's adapter shape over better-sqlite3: exec resolves { rowsAffected }, and there is no dialect.
  function seedSqlite(): SqlAdapter {
    const db = new Database(':memory:')
    return {
      exec: async (sql, params = []) => {
        const r = db.prepare(sql).run(...params)
        return { rowsAffected: r.changes }
      },
      query: async (sql, params = []) => db.prepare(sql).all(...params) as never,
    }
  }

  async function exerciseStores(sql: SqlAdapter, prefix: string) {
    const journal = new SqlConversationJournal(sql, `${prefix}journal`)
    await journal.migrate()
    await journal.beginRun('run_1', '2026-01-01T00:00:00.000Z')
    const turn = { index: 0, speaker: 'a', text: 'hi', startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:01.000Z' }
    await journal.appendTurn('run_1', turn as never)
    await expect(journal.appendTurn('run_1', turn as never)).rejects.toThrow()
    expect((await journal.loadRun('run_1'))?.turns).toHaveLength(1)

    const replay = createSqlChatTurnReplayStore({ sql, tablePrefix: `${prefix}chat_` })
    expect(await replay.begin('exec-1', 'attempt-1')).toEqual({ status: 'started' })
    expect(await replay.append('exec-1', 'attempt-1', [{ type: 'text', data: 'hi' }])).toBe(true)
    expect(await replay.complete('exec-1', 'attempt-1', { finalText: 'hi', persisted: true })).toBe(true)
    expect(await replay.begin('exec-1', 'attempt-2')).toEqual({ status: 'completed', events: [{ type: 'text', data: 'hi' }], finalText: 'hi' })

    const runs = createSqlRuntimeRunAdapter(sql, { table: `${prefix}runs` })
    await runs.migrate()
    const run = startRuntimeRun({ workspaceId: 'ws-1', taskSpec: { id: 'task-1', intent: 'seed' }, adapter: runs })
    run.complete({ status: 'completed', resultSummary: 'ok' })
    await run.persist()
    expect(await runs.listByWorkspace('ws-1')).toMatchObject([{ workspaceId: 'ws-1', status: 'completed', resultSummary: 'ok' }])
  }

  it('SQLite', async () => {
    await exerciseStores(seedSqlite(), 'seed_')
  })

  it('PostgreSQL (the seed node-postgres snippet, with ? placeholders translated)', async () => {
    const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 2 })
    const prefix = `i10a_seed_${process.pid}_`
    const tables = ['journal_runs', 'journal_turns', 'chat_chat_executions', 'chat_chat_execution_events', 'runs'].map((t) => prefix + t)
    try {
      const pgAdapter: SqlAdapter = {
        exec: async (sql, params = []) => {
          const r = await pool.query(toPostgresPlaceholders(sql), params as never)
          return { rowsAffected: r.rowCount ?? 0 }
        },
        query: async (sql, params = []) => (await pool.query(toPostgresPlaceholders(sql), params as never)).rows,
      }
      await exerciseStores(pgAdapter, prefix)
    } finally {
      for (const t of tables) await pool.query(`DROP TABLE IF EXISTS ${t}`)
      await pool.end()
    }
  })
})

describe('seed names and error codes', () => {
  it('exports the seed type names (checked by the compiler) and JudgeError', () => {
    expectTypeOf<AgentAdapter<{ n: number }, string, void>['validate']>().parameter(0).toHaveProperty('state')
    expectTypeOf<AgentTaskRunResult>().toHaveProperty('runRecords')
    expectTypeOf<AgentTaskContext>().toHaveProperty('knowledge')
    expectTypeOf<AgentKnowledgeProvider>().toHaveProperty('buildReadiness')
    expectTypeOf<AgentRuntimeEventSink>().toBeFunction()
    expectTypeOf<ModelInfo>().toHaveProperty('id')
    expectTypeOf<RouterEnv>().toMatchTypeOf<Record<string, string | undefined>>()
    expectTypeOf<ResolvedChatModel>().toEqualTypeOf<{ model: string; source: string }>()
    expectTypeOf<OtelExportConfig>().not.toBeAny()
    expectTypeOf<RuntimeStreamEventCollector>().toHaveProperty('onEvent')
    expectTypeOf<DataAcquisitionPlan>().toHaveProperty('requirementId')
    expectTypeOf<'validation'>().toMatchTypeOf<AgentEvalErrorCode>()
    expectTypeOf<D1StmtLike>().toHaveProperty('bind')
    expectTypeOf<ExecCtx>().toHaveProperty('sandboxClient')
    expect(new JudgeError('judge answered no score')).toMatchObject({ code: 'judge', name: 'JudgeError' })
  })

  it('uses the reference codes, keeping our finer class on kind', () => {
    expect(new BackendTransportError('openai', 'HTTP 401', { status: 401 })).toMatchObject({ code: 'config', kind: 'transport', status: 401 })
    expect(new RuntimeRunStateError('completed → failed')).toMatchObject({ code: 'validation', kind: 'state' })
    expect(new PlannerError('not a move')).toMatchObject({ code: 'validation', kind: 'planner' })
    expect(new ConfigError('missing key')).toMatchObject({ code: 'config', kind: 'config' })
  })
})
