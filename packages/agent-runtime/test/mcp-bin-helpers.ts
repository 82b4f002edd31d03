/** Runs the agent-runtime-mcp bin as a child process from its TypeScript source, and connects the official SDK client to it. */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'

export const ROOT = join(import.meta.dirname, '..', '..', '..')
export const BIN = join(ROOT, 'packages/agent-runtime/src/bin/mcp.ts')
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href
/** Node arguments that run the bin from source. */
export const BIN_ARGS = ['--conditions=source', '--import', TSX, BIN]

/** A parent environment without the knobs a developer's shell might set. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(TANGLE_|MCP_|AGENT_RUNTIME_|DATABASE_URL$)/.test(k)) continue
    env[k] = v
  }
  return { ...env, ...extra }
}

/** The bin run to completion with `args`; stdin closed at once. */
export function runBinOnce(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...BIN_ARGS, ...args], { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end()
  })
}

/** A running bin with an SDK client connected over stdio. */
export interface BinSession {
  client: Client
  transport: StdioClientTransport
  stderr: () => string
  pid: number
}

/** Starts the bin with `args` and connects the official SDK client over stdio. */
export async function startBin(args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<BinSession> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [...BIN_ARGS, ...args], cwd: opts.cwd, env: opts.env, stderr: 'pipe' })
  let stderr = ''
  transport.stderr?.on('data', (d) => (stderr += d))
  const client = new Client({ name: 'bin-test', version: '1.0.0' })
  await client.connect(transport)
  return { client, transport, stderr: () => stderr, pid: transport.pid! }
}

/** Resolves with the exit code (or signal) once `pid`'s process is gone. */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode })
    else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}
