#!/usr/bin/env node
/**
 * agent-runtime-loop: `list`, `plan` and `run` loop patterns of registry.yaml,
 * or run one delegated loop with `--mode M --config path`. Exit codes:
 * 0 ok, 1 the run failed or timed out, 2 usage or config error, 3 halted by
 * the budget or the kill-switch. `--help` lists everything.
 */
import { readFileSync } from 'node:fs'
import { runLoopCli } from '@tangle-network/agent-runtime-cli'

const controller = new AbortController()
// First Ctrl-C / SIGTERM asks the loop to stop; the runner records the abort.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort(new Error(`received ${sig}`)))

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

process.exitCode = await runLoopCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
  version: pkg.version,
  signal: controller.signal,
})
