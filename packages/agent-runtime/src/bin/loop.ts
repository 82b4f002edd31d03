#!/usr/bin/env node
/**
 * agent-runtime-loop: runs one delegated loop (from cron, CI or a shell) and
 * exits 0 (ok), 1 (the loop failed) or 2 (usage or config error).
 *   agent-runtime-loop --mode research --config ./loops.config.mjs
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { runLoopRunnerCli } from '@tangle-network/agent-runtime-core'

const controller = new AbortController()
// First Ctrl-C / SIGTERM asks the loop to stop; the runner records the abort.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort(new Error(`received ${sig}`)))

process.exitCode = await runLoopRunnerCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // A config path is a file path, not a module specifier: resolve it against the cwd.
  importModule: (path) => import(pathToFileURL(resolve(path)).href),
  signal: controller.signal,
})
