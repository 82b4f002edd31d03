#!/usr/bin/env node
/**
 * agent-runtime-mcp: the delegation MCP server over stdio (or Streamable HTTP
 * with --http). Exits 0 when stopped (SIGINT, SIGTERM, stdin closed), 1 on a
 * runtime failure, 2 on a usage or configuration error.
 */
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runMcpServerCli } from '@tangle-network/agent-runtime-mcp/bin'

// Stdout is the protocol channel: anything a delegate logs goes to stderr instead.
console.log = console.error
console.info = console.error

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }
const stopRequested = new Promise<string>((done) => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => done(`received ${sig}`))
  // The client closing stdio ends the session; only meaningful for the stdio transport.
  if (!process.argv.some((a) => a === '--http' || a.startsWith('--http='))) process.stdin.once('end', () => done('stdin closed'))
})

process.exitCode = await runMcpServerCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  // A config path is a file path, not a module specifier: resolve it against the cwd.
  importModule: (path) => import(pathToFileURL(resolve(path)).href),
  stopRequested,
  version,
  // AGENT_RUNTIME_DISPATCH=postgres: the worker package ships with this one; load it only when asked.
  loadDispatcher: async (options) => (await import('@tangle-network/agent-runtime-worker')).createPostgresDispatcher(options),
})
// Open handles (stdin, pools) must not keep a stopped server alive.
process.exit()
