#!/usr/bin/env node
/**
 * agent-runtime-worker: one worker of the delegation queue on PostgreSQL
 * (graphile-worker). Exits 0 when stopped (SIGINT, SIGTERM), 1 on a runtime
 * failure, 2 on a usage or configuration error.
 */
import { createRequire } from 'node:module'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runWorkerCli } from '@tangle-network/agent-runtime-worker/bin'

// Stdout carries the exit summary only: anything a delegate logs goes to stderr.
console.log = console.error
console.info = console.error

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }
const stopRequested = new Promise<string>((done) => {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => done(`received ${sig}`))
})

process.exitCode = await runWorkerCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  // A config path is a file path, not a module specifier: resolve it against the cwd.
  importModule: (path) => import(pathToFileURL(resolve(path)).href),
  stopRequested,
  version,
})
// Open handles (pools, timers of delegates) must not keep a stopped worker alive.
process.exit()
