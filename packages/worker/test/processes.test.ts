/**
 * Real worker child processes (the `agent-runtime-worker` bin) against the
 * local PostgreSQL: a SIGKILLed worker's delegation completes elsewhere,
 * duplicate submits are one job, a cancel on a server reaches the worker over
 * LISTEN/NOTIFY, and a stale worker's late result is fenced off. Every test
 * has its own graphile-worker schema and delegation tables.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { createMcpServer, type DelegationMcpServer } from '@tangle-network/agent-runtime-mcp'
import { createPostgresDispatcher, type PostgresDispatcher } from '@tangle-network/agent-runtime-worker'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPool, DATABASE_URL, dropAll, readEvents, spawnWorker, uniqueName, until, type WorkerChild } from './helpers.js'

const pool = createPool()
afterAll(async () => {
  await pool.end()
})

let schema: string
let prefix: string
let dir: string
let logFile: string
let env: Record<string, string>
const children: WorkerChild[] = []
const dispatchers: PostgresDispatcher[] = []
const servers: DelegationMcpServer[] = []

beforeEach(() => {
  schema = uniqueName('gw')
  prefix = uniqueName('dlg')
  dir = mkdtempSync(join(tmpdir(), 'i15-worker-'))
  logFile = join(dir, 'events.log')
  // A lease ten heartbeats long, so a loaded machine's pauses never let a sweep take a healthy delegation;
  // only the worker a test kills or freezes gets a short lease (DYING), so its delegation moves on in seconds.
  env = {
    AGENT_RUNTIME_WORKER_SCHEMA: schema,
    AGENT_RUNTIME_TABLE_PREFIX: prefix,
    WORKER_TEST_LOG: logFile,
    AGENT_RUNTIME_HEARTBEAT_MS: '1000',
    AGENT_RUNTIME_LEASE_MS: '10000',
    AGENT_RUNTIME_SWEEP_MS: '300',
  }
})

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop()
  for (const c of children.splice(0)) {
    if (c.child.exitCode === null && c.child.signalCode === null) {
      c.child.kill('SIGCONT')
      c.child.kill('SIGKILL')
    }
    await c.exited
  }
  for (const d of dispatchers.splice(0)) await d.close()
  await dropAll(pool, schema, prefix)
  rmSync(dir, { recursive: true, force: true })
})

function dispatcher(): PostgresDispatcher {
  const d = createPostgresDispatcher({ connectionString: DATABASE_URL, concurrency: 2, schema, tablePrefix: prefix })
  dispatchers.push(d)
  return d
}

async function worker(extra: Record<string, string> = {}): Promise<WorkerChild> {
  const w = spawnWorker({ ...env, ...extra })
  children.push(w)
  await w.waitFor(/worker \S+ started/)
  return w
}

/** The worker a test kills or freezes: a 3 s lease (ten 300 ms heartbeats); it is the only worker until it is gone, so nothing sweeps it early. */
const DYING = { AGENT_RUNTIME_HEARTBEAT_MS: '300', AGENT_RUNTIME_LEASE_MS: '3000' }

const args = (goal: string) => ({ goal, repoRoot: '/repo', variants: 1 })

describe('agent-runtime-worker child processes on PostgreSQL', { timeout: 120_000 }, () => {
  it('SIGKILL mid-delegation: another worker completes it, one result, one commit', async () => {
    const d = dispatcher()
    const store = await d.store()
    const a = await worker({ WORKER_TEST_MODE: 'hold', ...DYING })
    const { record } = await d.submit('coder', args('kill-me'))
    // Kill it once the delegate itself is under way (its start event is written).
    await until('the delegate to start on the first worker', () => readEvents(logFile).some((e) => e.event === 'start' && e.pid === a.pid))
    expect(await store.get(record.taskId)).toMatchObject({ status: 'running', attempts: 1 })
    a.child.kill('SIGKILL')
    await a.exited
    const b = await worker()
    const done = await until('the delegation to complete on the second worker', async () => {
      const r = await store.get(record.taskId)
      return r?.status === 'completed' ? r : undefined
    })
    expect(done).toMatchObject({ attempts: 2, output: { by: b.pid, goal: 'kill-me' } })
    expect(done.leaseOwner).toBeUndefined()
    const events = readEvents(logFile)
    expect(events.filter((e) => e.event === 'start').map((e) => e.pid)).toEqual([a.pid, b.pid])
    expect(events.filter((e) => e.event === 'commit').map((e) => e.pid)).toEqual([b.pid])
    const { code, summary } = await b.stop()
    expect(code).toBe(0)
    expect(summary).toMatchObject({ completed: 1, fenced: 0, failed: 0 })
    expect(summary.swept).toBeGreaterThanOrEqual(1)
  })

  it('duplicate submits from two dispatchers are one delegation and one job, run once', async () => {
    const [d1, d2] = [dispatcher(), dispatcher()]
    const results = await Promise.all([d1, d2, d1, d2, d1, d2].map((d) => d.submit('coder', args('dup'))))
    const ids = new Set(results.map((r) => r.record.taskId))
    expect(ids.size).toBe(1)
    expect(results.filter((r) => r.created)).toHaveLength(1)
    const [taskId] = [...ids] as [string]
    const jobs = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.jobs WHERE key = $1`, [taskId])
    expect(jobs.rows[0].n).toBe(1)
    const w = await worker()
    const store = await d1.store()
    await until('the delegation to complete', async () => (await store.get(taskId))?.status === 'completed')
    // A submit after completion is still the same task and queues nothing.
    const again = await d2.submit('coder', args('dup'))
    expect(again).toMatchObject({ created: false, record: { taskId, status: 'completed', attempts: 1 } })
    const { summary } = await w.stop()
    expect(summary).toMatchObject({ completed: 1 })
    expect(readEvents(logFile).filter((e) => e.event === 'start')).toHaveLength(1)
    const left = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.jobs WHERE key = $1`, [taskId])
    expect(left.rows[0].n).toBe(0)
  })

  it('delegation_cancel on an MCP server reaches the worker over LISTEN/NOTIFY, well before any heartbeat', async () => {
    const d = dispatcher()
    const store = await d.store()
    const server = createMcpServer({
      coderDelegate: async () => {
        throw new Error('an enqueue-only server must not run delegations')
      },
      store,
      dispatcher: d,
    })
    servers.push(server)
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await server.serve(serverSide)
    const client = new Client({ name: 'i15-test', version: '1.0.0' })
    await client.connect(clientSide)
    const submitted = (await client.callTool({ name: 'delegate_code', arguments: args('cancel-me') })).structuredContent as { taskId: string }
    const taskId = submitted.taskId
    expect((await store.get(taskId))?.status).toBe('pending')
    // A 10 s heartbeat: an abort within the 5 s deadline below can only come from the NOTIFY.
    const w = await worker({ WORKER_TEST_MODE: 'hold', AGENT_RUNTIME_HEARTBEAT_MS: '10000', AGENT_RUNTIME_LEASE_MS: '60000', AGENT_RUNTIME_SWEEP_MS: '60000' })
    // The server's status wait wakes on the worker's state-change notification.
    const status = await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 45_000 } })
    expect((status.structuredContent as { status: string }).status).toBe('running')
    const sentAt = Date.now()
    const cancelled = await client.callTool({ name: 'delegation_cancel', arguments: { taskId } })
    expect((cancelled.structuredContent as { status: string }).status).toBe('cancelled')
    await w.waitFor(new RegExp(`delegation ${taskId}: cancel received`), 5_000)
    const aborted = await until('the delegate to see its abort', () => readEvents(logFile).find((e) => e.event === 'aborted'), 5_000)
    console.info(`cross-process cancel: delegation_cancel → delegate aborted in ${aborted.at - sentAt} ms`)
    await w.waitFor(new RegExp(`delegation ${taskId}: fence \\d+ is stale`))
    expect(await store.get(taskId)).toMatchObject({ status: 'cancelled', error: { kind: 'cancelled' } })
    const { summary } = await w.stop()
    expect(summary).toMatchObject({ fenced: 1, completed: 0, failed: 0 })
    await client.close()
  })

  it('a stale worker that wakes up after its lease was reclaimed writes nothing, even while the delegation runs again elsewhere', async () => {
    const d = dispatcher()
    const store = await d.store()
    const startedBy = (pid: number) => () => readEvents(logFile).some((e) => e.event === 'start' && e.pid === pid)
    const a = await worker({ WORKER_TEST_MODE: 'hold-ignore-abort', ...DYING })
    const { record } = await d.submit('coder', args('stale'))
    await until('the delegate to start on the first worker', startedBy(a.pid))
    a.child.kill('SIGSTOP')
    // The second worker reclaims it and holds it running under the new fence.
    const b = await worker({ WORKER_TEST_MODE: 'hold-ignore-abort' })
    await until('the second worker to take it over', startedBy(b.pid))
    const rerun = (await store.get(record.taskId))!
    expect(rerun).toMatchObject({ status: 'running', attempts: 2 })
    a.child.kill('SIGCONT')
    await a.waitFor(new RegExp(`delegation ${record.taskId}: .*lease lost`))
    // The stale delegate keeps going (it ignores aborts) and returns a result: the fence refuses it.
    writeFileSync(`${logFile}.release.${a.pid}`, '')
    await a.waitFor(new RegExp(`delegation ${record.taskId}: fence ${record.version + 1} is stale`))
    expect(await store.get(record.taskId)).toEqual(rerun)
    writeFileSync(`${logFile}.release.${b.pid}`, '')
    const done = await until('the second worker to complete it', async () => {
      const r = await store.get(record.taskId)
      return r?.status === 'completed' ? r : undefined
    })
    expect(done.output).toEqual({ by: b.pid, goal: 'stale' })
    const events = readEvents(logFile)
    expect(events.filter((e) => e.event === 'commit').map((e) => e.pid)).toEqual([a.pid, b.pid])
    expect((await a.stop()).summary).toMatchObject({ fenced: 1, completed: 0 })
    expect((await b.stop()).summary).toMatchObject({ completed: 1 })
  })
})
