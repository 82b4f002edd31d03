import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, describe, expect, it } from 'vitest'
import { BIN_ARGS, cleanEnv, exitOf, runBinOnce, startBin } from './mcp-bin-helpers.js'

// A killed server's lease was last renewed before it died, so it has surely run out KILL_LEASE_MS after the death
// (another server's startup leaves a delegation with a live lease alone).
const KILL_LEASE_MS = 1_000
const leaseOfDeadProcessExpired = async () => {
  const expired = Date.now() + KILL_LEASE_MS + 1
  while (Date.now() <= expired) await new Promise((r) => setTimeout(r, 50))
}

const dir = mkdtempSync(join(tmpdir(), 'i11a-mcp-bin-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A config whose coder delegate logs each start to `runLog` and finishes once `release` exists (or fails when the goal says so). */
function slowConfig(name: string): { path: string; runLog: string; release: string } {
  const path = join(dir, `${name}.mjs`)
  const runLog = join(dir, `${name}.runs`)
  const release = join(dir, `${name}.release`)
  writeFileSync(
    path,
    `import { appendFileSync, existsSync } from 'node:fs'
export default async () => ({
  maxConcurrency: 2,
  coderDelegate: async (args, ctx) => {
    appendFileSync(${JSON.stringify(runLog)}, args.goal + '\\n')
    console.log('a delegate printing to stdout must not break the protocol')
    if (args.goal === 'explode') throw new Error('the delegate exploded')
    ctx.report({ iteration: 0, phase: 'working' })
    await new Promise((resolve, reject) => {
      const t = setInterval(() => { if (existsSync(${JSON.stringify(release)})) { clearInterval(t); resolve() } }, 25)
      ctx.signal.addEventListener('abort', () => { clearInterval(t); reject(new Error('aborted')) })
    })
    return { winnerIndex: 0, output: { branch: 'b', patch: 'patch of ' + args.goal, testResult: { passed: true, output: '' }, typecheckResult: { passed: true, output: '' }, diffStats: { filesChanged: 1, insertions: 1, deletions: 0 } }, score: 1, candidates: 1 }
  },
})
`,
  )
  return { path, runLog, release }
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [])
const sc = (r: unknown) => (r as { structuredContent: Record<string, any> }).structuredContent

describe.concurrent('agent-runtime-mcp bin (child process)', { timeout: 180_000 }, () => {
  it('--help and --version exit 0; bad arguments and bad knobs exit 2 naming the problem', async () => {
    const help = await runBinOnce(['--help'], { cwd: dir })
    expect(help.code).toBe(0)
    expect(help.stderr).toContain('usage: agent-runtime-mcp')
    expect(help.stdout).toBe('')
    const version = await runBinOnce(['--version'], { cwd: dir })
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
    const bad = await runBinOnce(['--frobnicate'], { cwd: dir })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('unknown argument "--frobnicate"')
    const recover = await runBinOnce([], { cwd: dir, env: cleanEnv({ AGENT_RUNTIME_DELEGATION_RECOVER: 'sometimes' }) })
    expect(recover.code).toBe(2)
    expect(recover.stderr).toContain('AGENT_RUNTIME_DELEGATION_RECOVER')
    const fleet = await runBinOnce([], { cwd: dir, env: cleanEnv({ TANGLE_FLEET_ID: 'fleet-1' }) })
    expect(fleet.code).toBe(2)
    expect(fleet.stderr).toContain('TANGLE_FLEET_ID=fleet-1 needs TANGLE_API_KEY')
    const keyNoPeer = await runBinOnce([], { cwd: dir, env: cleanEnv({ TANGLE_API_KEY: 'sk_test' }) })
    expect(keyNoPeer.code).toBe(2)
    expect(keyNoPeer.stderr).toContain('@tangle-network/sandbox')
    const missingConfig = await runBinOnce(['--config', join(dir, 'nope.mjs')], { cwd: dir })
    expect(missingConfig.code).toBe(2)
    expect(missingConfig.stderr).toContain('nope.mjs')
  })

  it('serves the SDK client over stdio; says placement and store on stderr; a delegate that throws is isError', async () => {
    const cfg = slowConfig('stdio')
    const db = join(dir, 'stdio.db')
    const s = await startBin(['--config', cfg.path], { cwd: dir, env: cleanEnv({ AGENT_RUNTIME_DELEGATION_DB: db }) })
    try {
      const names = (await s.client.listTools()).tools.map((t) => t.name)
      expect(names).toEqual(['delegate_code', 'delegate_feedback', 'delegation_status', 'delegation_history', 'delegation_cancel'])
      expect(s.stderr()).toContain(`placement → from ${cfg.path}`)
      expect(s.stderr()).toContain(`store sqlite:${db}`)
      const { taskId } = sc(await s.client.callTool({ name: 'delegate_code', arguments: { goal: 'explode', repoRoot: '/r' } }))
      expect(taskId).toMatch(/^dlg-/)
      let status = await s.client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } })
      while (sc(status).status !== 'failed') status = await s.client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } })
      expect(status.isError).toBe(true)
      expect(JSON.stringify(status.content)).toContain('the delegate exploded')
      const bad = await s.client.callTool({ name: 'delegate_code', arguments: { goal: 'x', repoRoot: '/r', variants: 0 } }).catch((e) => e)
      expect(bad).toMatchObject({ code: -32602 })
    } finally {
      await s.client.close()
    }
  })

  it('answers bytes that are not JSON with −32700 and keeps stdout pure protocol; SIGTERM exits 0', async () => {
    const cfg = slowConfig('raw')
    const child = spawn(process.execPath, [...BIN_ARGS, '--config', cfg.path], {
      cwd: dir,
      env: cleanEnv({ AGENT_RUNTIME_DELEGATION_DB: join(dir, 'raw.db') }),
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const out = createInterface({ input: child.stdout })
    const received: string[] = []
    const waiters: (() => void)[] = []
    out.on('line', (l) => {
      received.push(l)
      for (const w of waiters.splice(0)) w()
    })
    const nextLine = async (n: number) => {
      while (received.length < n) await new Promise<void>((r) => waiters.push(r))
      return JSON.parse(received[n - 1]!)
    }
    child.stdin.write('this is not json\n')
    expect(await nextLine(1)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } })
    child.stdin.write('{"hello":"world"}\n')
    expect(await nextLine(2)).toMatchObject({ id: null, error: { code: -32600 } })
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2024-11-05', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })}\n`)
    expect(await nextLine(3)).toMatchObject({ id: 1, result: { protocolVersion: '2024-11-05', serverInfo: { name: 'agent-runtime-mcp' } } })
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`)
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'no/such/method' })}\n`)
    expect(await nextLine(4)).toMatchObject({ id: 2, error: { code: -32601 } })
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'delegate_code', arguments: { goal: 'quiet', repoRoot: '/r' } } })}\n`)
    expect(await nextLine(5)).toMatchObject({ id: 3, result: { structuredContent: { taskId: expect.stringMatching(/^dlg-/) } } })
    // The delegate logs to stdout (console.log) when it starts; wait for the start, then check every stdout line is JSON-RPC.
    while (lines(cfg.runLog).length === 0) await new Promise((r) => setTimeout(r, 25))
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list' })}\n`)
    await nextLine(6)
    for (const l of received) expect(JSON.parse(l).jsonrpc).toBe('2.0')
    expect(stderr).toContain('a delegate printing to stdout must not break the protocol')
    child.kill('SIGTERM')
    expect(await exitOf(child)).toEqual({ code: 0, signal: null })
    expect(stderr).toContain('received SIGTERM: stopping')
  })

  it('SIGKILL mid-delegation: after a restart on the same database the delegation is in status and history, interrupted, never run twice', async () => {
    const cfg = slowConfig('kill')
    const env = cleanEnv({ AGENT_RUNTIME_DELEGATION_DB: join(dir, 'kill.db'), AGENT_RUNTIME_DELEGATION_LEASE_MS: String(KILL_LEASE_MS) })
    const first = await startBin(['--config', cfg.path], { cwd: dir, env })
    const args = { goal: 'long job', repoRoot: '/r', namespace: 'crash' }
    const { taskId } = sc(await first.client.callTool({ name: 'delegate_code', arguments: args }))
    let st = sc(await first.client.callTool({ name: 'delegation_status', arguments: { taskId } }))
    if (st.status === 'pending') st = sc(await first.client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }))
    expect(st.status).toBe('running')
    const gone = new Promise<void>((r) => {
      first.client.onclose = () => r()
    })
    process.kill(first.pid, 'SIGKILL')
    await gone
    await leaseOfDeadProcessExpired()

    const second = await startBin(['--config', cfg.path], { cwd: dir, env })
    try {
      const status = await second.client.callTool({ name: 'delegation_status', arguments: { taskId } })
      expect(sc(status)).toMatchObject({ taskId, status: 'failed', error: { kind: 'interrupted' }, attempts: 1 })
      expect(status.isError).toBe(true)
      const history = sc(await second.client.callTool({ name: 'delegation_history', arguments: { namespace: 'crash' } })).delegations
      expect(history.map((d: { taskId: string }) => d.taskId)).toEqual([taskId])
      // Identical inputs still name the same delegation; nothing runs again.
      expect(sc(await second.client.callTool({ name: 'delegate_code', arguments: args })).taskId).toBe(taskId)
      expect(lines(cfg.runLog)).toEqual(['long job'])
    } finally {
      await second.client.close()
    }
  })

  it('with AGENT_RUNTIME_DELEGATION_RECOVER=rerun a killed delegation runs again once and completes', async () => {
    const cfg = slowConfig('rerun')
    const env = cleanEnv({ AGENT_RUNTIME_DELEGATION_DB: join(dir, 'rerun.db'), AGENT_RUNTIME_DELEGATION_RECOVER: 'rerun', AGENT_RUNTIME_DELEGATION_LEASE_MS: String(KILL_LEASE_MS) })
    const first = await startBin(['--config', cfg.path], { cwd: dir, env })
    const { taskId } = sc(await first.client.callTool({ name: 'delegate_code', arguments: { goal: 'again', repoRoot: '/r' } }))
    while (lines(cfg.runLog).length === 0) await new Promise((r) => setTimeout(r, 25))
    const gone = new Promise<void>((r) => {
      first.client.onclose = () => r()
    })
    process.kill(first.pid, 'SIGKILL')
    await gone
    await leaseOfDeadProcessExpired()
    const second = await startBin(['--config', cfg.path], { cwd: dir, env })
    try {
      while (lines(cfg.runLog).length < 2) await new Promise((r) => setTimeout(r, 25))
      writeFileSync(cfg.release, 'go')
      let st = sc(await second.client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }))
      while (st.status === 'running' || st.status === 'pending') st = sc(await second.client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }))
      expect(st).toMatchObject({ status: 'completed', attempts: 2, result: { output: { output: { patch: 'patch of again' } } } })
      expect(lines(cfg.runLog)).toEqual(['again', 'again'])
    } finally {
      await second.client.close()
    }
  })

  it('--http serves Streamable HTTP on the port it names on stderr; SIGINT exits 0 and the store keeps the delegation', async () => {
    const cfg = slowConfig('http')
    const env = cleanEnv({ AGENT_RUNTIME_DELEGATION_DB: join(dir, 'http.db') })
    const child = spawn(process.execPath, [...BIN_ARGS, '--config', cfg.path, '--http', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let stdout = ''
    const started = new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d
        const m = /transport (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(stderr)
        if (m) resolve(m[1]!)
      })
      child.on('exit', () => reject(new Error(`bin exited early: ${stderr}`)))
    })
    child.stdout.on('data', (d) => (stdout += d))
    const url = await started
    const client = new Client({ name: 'http-bin', version: '1' })
    await client.connect(new StreamableHTTPClientTransport(new URL(url)))
    const { taskId } = sc(await client.callTool({ name: 'delegate_code', arguments: { goal: 'over http', repoRoot: '/r' } }))
    writeFileSync(cfg.release, 'go')
    let st = sc(await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }))
    while (st.status === 'pending' || st.status === 'running') st = sc(await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }))
    expect(st).toMatchObject({ status: 'completed', result: { output: { output: { patch: 'patch of over http' } } } })
    await client.close()
    child.kill('SIGINT')
    expect(await exitOf(child)).toEqual({ code: 0, signal: null })
    expect(stdout).toBe('')
    const again = await startBin(['--config', cfg.path], { cwd: dir, env })
    try {
      expect(sc(await again.client.callTool({ name: 'delegation_status', arguments: { taskId } })).status).toBe('completed')
    } finally {
      await again.client.close()
    }
  })
})
