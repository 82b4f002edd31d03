/**
 * The bins: `agent-runtime-worker`'s flags, environment checks and exit
 * codes, and `agent-runtime-mcp` with `AGENT_RUNTIME_DISPATCH=postgres`
 * enqueuing only, while a real worker child process runs the delegation.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { runMcpServerCli } from '@tangle-network/agent-runtime-mcp/bin'
import { runWorkerCli, type WorkerBinIo } from '@tangle-network/agent-runtime-worker/bin'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createPool, DATABASE_URL, readEvents, spawnWorker, uniqueName, until } from './helpers.js'

function io(env: Record<string, string | undefined>, importModule: WorkerBinIo['importModule'] = async () => ({})) {
  const out = { stdout: '', stderr: '' }
  const value: WorkerBinIo = {
    env,
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
    importModule,
    stopRequested: new Promise(() => {}),
    version: '9.9.9',
  }
  return { io: value, out }
}

describe('agent-runtime-worker flags and environment', () => {
  it('--help prints usage on stderr and exits 0; --version prints the version on stdout', async () => {
    const help = io({})
    expect(await runWorkerCli(['--help'], help.io)).toBe(0)
    expect(help.out.stderr).toMatch(/^usage: agent-runtime-worker/)
    expect(help.out.stderr).toContain('--concurrency N')
    expect(help.out.stdout).toBe('')
    const version = io({})
    expect(await runWorkerCli(['--version'], version.io)).toBe(0)
    expect(version.out.stdout).toBe('9.9.9\n')
  })

  it.each([
    [[], {}, /agent-runtime-worker: DATABASE_URL is required/],
    [[], { DATABASE_URL: 'mysql://db' }, /DATABASE_URL must be a postgres:\/\/ URL/],
    [['--concurrency', '0'], { DATABASE_URL }, /--concurrency must be an integer >= 1, got "0"/],
    [['--bogus'], { DATABASE_URL }, /unknown argument "--bogus"/],
    [[], { DATABASE_URL, AGENT_RUNTIME_LEASE_MS: '30s' }, /agent-runtime-worker: AGENT_RUNTIME_LEASE_MS must be a whole number of milliseconds/],
    [[], { DATABASE_URL, AGENT_RUNTIME_HEARTBEAT_MS: '20000', AGENT_RUNTIME_LEASE_MS: '30000' }, /heartbeatMs \(20000\) must be at most half of leaseMs/],
  ] as const)('usage and configuration errors exit 2: %j %j', async (argv, env, message) => {
    const run = io(env)
    expect(await runWorkerCli(argv, run.io)).toBe(2)
    expect(run.out.stderr).toMatch(message)
    expect(run.out.stdout).toBe('')
  })

  it('a --config module that does not load is a usage error naming the file', async () => {
    const run = io({ DATABASE_URL }, async () => {
      throw new Error('Cannot find module')
    })
    expect(await runWorkerCli(['--config', './missing.mjs'], run.io)).toBe(2)
    expect(run.out.stderr).toContain('--config ./missing.mjs: could not load the module: Cannot find module')
  })
})

describe('agent-runtime-mcp with AGENT_RUNTIME_DISPATCH=postgres', { timeout: 120_000 }, () => {
  const pool = createPool()
  afterAll(async () => {
    await pool.end()
  })

  it('refuses the dispatch mode without DATABASE_URL, and an unknown mode', async () => {
    for (const [env, message] of [
      [{ AGENT_RUNTIME_DISPATCH: 'postgres' }, /AGENT_RUNTIME_DISPATCH=postgres needs DATABASE_URL/],
      [{ AGENT_RUNTIME_DISPATCH: 'redis' }, /AGENT_RUNTIME_DISPATCH must be 'postgres' or 'local', got "redis"/],
    ] as const) {
      const run = io(env)
      expect(await runMcpServerCli([], { ...run.io, cwd: process.cwd() })).toBe(2)
      expect(run.out.stderr).toMatch(message)
    }
  })

  it('only enqueues; a worker process elsewhere runs the delegation and the server reports its result', async () => {
    // The bin uses the default table prefix: a search_path of our own keeps its tables away from other test runs.
    const tables = uniqueName('mcpdisp')
    const gwSchema = uniqueName('gw')
    const dir = mkdtempSync(join(tmpdir(), 'i15-mcp-'))
    await pool.query(`CREATE SCHEMA ${tables}`)
    const url = `${DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${tables}`)}`
    let stop!: (reason: string) => void
    const run = io({ DATABASE_URL: url, AGENT_RUNTIME_DISPATCH: 'postgres', AGENT_RUNTIME_WORKER_SCHEMA: gwSchema })
    const exited = runMcpServerCli(['--http', '0'], { ...run.io, cwd: dir, stopRequested: new Promise((r) => (stop = r)) })
    const worker = spawnWorker({ DATABASE_URL: url, AGENT_RUNTIME_WORKER_SCHEMA: gwSchema, WORKER_TEST_LOG: join(dir, 'events.log') })
    const client = new Client({ name: 'i15-bin-test', version: '1.0.0' })
    try {
      const endpoint = await until('the server to listen', () => /transport (http:[^\s;]+)/.exec(run.out.stderr)?.[1])
      expect(run.out.stderr).toContain('postgres queue (graphile-worker schema')
      await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)))
      const res = await client.callTool({ name: 'delegate_code', arguments: { goal: 'remote', repoRoot: dir } })
      const { taskId } = res.structuredContent as { taskId: string }
      const final = await until('the delegation to finish', async () => {
        const s = (await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 20_000 } })).structuredContent as { status: string; result?: unknown }
        return s.status === 'completed' || s.status === 'failed' ? s : undefined
      })
      expect(final).toMatchObject({ status: 'completed', result: { profile: 'coder', output: { by: worker.pid, goal: 'remote' } } })
      expect(readEvents(join(dir, 'events.log')).map((e) => [e.event, e.pid])).toEqual([
        ['start', worker.pid],
        ['commit', worker.pid],
      ])
    } finally {
      await client.close().catch(() => {})
      stop('test done')
      expect(await exited).toBe(0)
      await worker.stop()
      await pool.query(`DROP SCHEMA IF EXISTS ${tables} CASCADE`)
      await pool.query(`DROP SCHEMA IF EXISTS ${gwSchema} CASCADE`)
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
