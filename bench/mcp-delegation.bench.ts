/**
 * The delegation MCP server's own cost, measured against baselines in the same run.
 *
 * 1. Per-delegation overhead: submit → completed through MCP (delegate_code,
 *    then delegation_status with waitMs until completed) over an instant
 *    sandbox (one `runLoop` iteration on the scripted sandbox), against
 *    calling the same delegate directly. Stores: memory and SQLite (WAL).
 * 2. `delegation_status` latency against a bare SDK tool (`McpServer` +
 *    `registerTool('echo')`), both over the SDK's in-memory transport.
 *
 * Ratios > 1 mean ours costs that many times the baseline. Env:
 * BENCH_DELEGATIONS (default 300), BENCH_STATUS_CALLS (default 2000).
 *
 *   cd bench && pnpm exec tsx --conditions=source mcp-delegation.bench.ts
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { betterSqlite3ToSqlAdapter } from '@tangle-network/agent-runtime-core'
import { type Driver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import {
  type CoderDelegate,
  createMcpServer,
  type DelegationStore,
  InMemoryDelegationStore,
  SqlDelegationStore,
} from '@tangle-network/agent-runtime-mcp'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import Database from 'better-sqlite3'
import { z } from 'zod'

const DELEGATIONS = Number(process.env.BENCH_DELEGATIONS ?? 300)
const STATUS_CALLS = Number(process.env.BENCH_STATUS_CALLS ?? 2000)

const sandbox = createScriptedSandboxClient({ respond: () => [{ type: 'result', data: { finalText: 'patched' } }] })
const once: Driver<{ goal: string }, string, string> = {
  plan: (task, history) => (history.length === 0 ? [task] : []),
  decide: () => 'pick-winner',
}
/** A delegate over the instant sandbox: one real loop iteration, no work inside it. */
const instantDelegate: CoderDelegate = async (args, ctx) => {
  const result = await runLoop({
    driver: once,
    agentRun: { name: 'instant', profile: { name: 'instant' }, taskToPrompt: (t) => t.goal },
    output: { parse: (events) => String((events.at(-1)?.data as { finalText?: string })?.finalText ?? '') },
    validator: { validate: (out) => ({ valid: out === 'patched', score: 1 }) },
    task: { goal: args.goal },
    ctx: { sandboxClient: sandbox, signal: ctx.signal },
    maxIterations: 1,
  })
  const patch = result.winner?.output ?? ''
  return {
    winnerIndex: 0,
    output: { branch: '', patch, testResult: { passed: true, output: '' }, typecheckResult: { passed: true, output: '' }, diffStats: { filesChanged: 1, insertions: 1, deletions: 0 } },
    score: 1,
    candidates: 1,
  }
}

async function connect(serve: (t: InMemoryTransport) => Promise<unknown>): Promise<Client> {
  const [c, s] = InMemoryTransport.createLinkedPair()
  await serve(s)
  const client = new Client({ name: 'bench', version: '1' })
  await client.connect(c)
  return client
}

async function timeIt(n: number, fn: (i: number) => Promise<void>): Promise<number> {
  for (let i = 0; i < Math.min(20, n); i++) await fn(-1 - i) // warm-up
  const start = performance.now()
  for (let i = 0; i < n; i++) await fn(i)
  return (performance.now() - start) / n
}

async function delegationOverhead(label: string, store: DelegationStore): Promise<void> {
  const server = createMcpServer({ coderDelegate: instantDelegate, store })
  const client = await connect((t) => server.serve(t))
  const ctl = new AbortController()
  const direct = await timeIt(DELEGATIONS, async (i) => {
    await instantDelegate({ goal: `direct ${label} ${i}`, repoRoot: '/r' }, { signal: ctl.signal, report: () => {} })
  })
  const viaMcp = await timeIt(DELEGATIONS, async (i) => {
    const sub = await client.callTool({ name: 'delegate_code', arguments: { goal: `mcp ${label} ${i}`, repoRoot: '/r' } })
    const taskId = (sub.structuredContent as { taskId: string }).taskId
    let status = ''
    while (status !== 'completed') {
      const st = await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } })
      status = (st.structuredContent as { status: string }).status
      if (status === 'failed') throw new Error(JSON.stringify(st.structuredContent))
    }
  })
  console.log(
    `submit → completed (${label} store): ${viaMcp.toFixed(3)} ms/delegation through MCP vs ${direct.toFixed(3)} ms calling the delegate directly; overhead ${(viaMcp - direct).toFixed(3)} ms, ratio ${(viaMcp / direct).toFixed(2)}x`,
  )
  await client.close()
  await server.stop()
}

async function statusLatency(): Promise<void> {
  const server = createMcpServer({ coderDelegate: instantDelegate })
  const client = await connect((t) => server.serve(t))
  const sub = await client.callTool({ name: 'delegate_code', arguments: { goal: 'status bench', repoRoot: '/r' } })
  const taskId = (sub.structuredContent as { taskId: string }).taskId
  const bare = new McpServer({ name: 'echo', version: '1' })
  bare.registerTool('echo', { inputSchema: { text: z.string() }, outputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
    structuredContent: { text },
  }))
  const echoClient = await connect((t) => bare.connect(t))
  const echo = await timeIt(STATUS_CALLS, async () => {
    await echoClient.callTool({ name: 'echo', arguments: { text: taskId } })
  })
  const status = await timeIt(STATUS_CALLS, async () => {
    await client.callTool({ name: 'delegation_status', arguments: { taskId } })
  })
  console.log(`delegation_status: ${(status * 1000).toFixed(1)} µs/call vs bare SDK echo tool ${(echo * 1000).toFixed(1)} µs/call; ratio ${(status / echo).toFixed(2)}x`)
  await client.close()
  await echoClient.close()
  await server.stop()
  await bare.close()
}

const dir = await mkdtemp(join(tmpdir(), 'bench-mcp-'))
try {
  console.log(`${DELEGATIONS} delegations, ${STATUS_CALLS} status calls, in-memory MCP transport`)
  await delegationOverhead('memory', new InMemoryDelegationStore())
  const db = new Database(join(dir, 'delegations.db'))
  db.pragma('journal_mode = WAL')
  await delegationOverhead('SQLite', new SqlDelegationStore(betterSqlite3ToSqlAdapter(db)))
  db.close()
  await statusLatency()
} finally {
  await rm(dir, { recursive: true, force: true })
}
