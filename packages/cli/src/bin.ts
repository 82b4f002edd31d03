/**
 * The `agent-runtime-loop` command as a function: a table of subcommands
 * (`list`, `plan`, `run`, plus the delegated `--mode M --config path`).
 * Add a subcommand by adding one entry to {@link LOOP_COMMANDS}.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  AUTONOMY_LEVELS,
  type AutonomyLevel,
  createBudgetBreaker,
  createMemoryBudgetLedger,
  DELEGATED_LOOP_MODES,
  errorMessage,
  isAutonomyLevel,
  runLoopRunnerCli,
  safeJson,
} from '@tangle-network/agent-runtime-core'
import { createClaudeTickBackend, createScriptedTickBackend } from './backends.js'
import { createKillSwitch, git, openBudgetLedger } from './node-io.js'
import { findPattern, loadLoopRegistry, readLoopFile } from './patterns.js'
import { buildPlan } from './plan.js'
import { formatRunReport, runPattern } from './runner.js'

import { createGitWorkspace } from './worktree.js'
import { consoleCommand, openRunTraces } from './console/command.js'
import { recordModeRun } from './console/mode-runs.js'

/** Exit codes: 0 ok, 1 the run failed (or timed out), 2 usage or config error, 3 halted by the budget or the kill-switch. @experimental */
export const LOOP_CLI_EXIT = { ok: 0, failed: 1, usage: 2, halted: 3 } as const

/** The environment variable the bin reads as "now" (ISO time or epoch ms), for cron simulations in tests. @experimental */
export const LOOP_CLOCK_ENV = 'AGENT_RUNTIME_LOOP_NOW'

/** Usage text of `agent-runtime-loop`. @experimental */
export const LOOP_CLI_USAGE = `usage: agent-runtime-loop <list|plan|run|console> [options] | --mode <mode> --config <path>
  agent-runtime-loop list [--registry registry.yaml]
  agent-runtime-loop plan <pattern> [--level L0|L1|L2|L3] [--registry path]
  agent-runtime-loop run <pattern> [--level ${AUTONOMY_LEVELS.join('|')}] [--dry-run] [--ticks N] [--backend mock|claude]
                         [--daily-cap TOKENS] [--registry path] [--timeout MS]
  agent-runtime-loop console [--port 4319] [--host 127.0.0.1] [--token T] [--registry path] [--workspace ID]
  agent-runtime-loop --mode <${DELEGATED_LOOP_MODES.join('|')}> --config <path to module> [--timeout MS]
                         [--daily-cap TOKENS] [--daily-cost-cap USD] [--ledger path|postgres://…] [--scope NAME]
  agent-runtime-loop --help | --version

  list   patterns of registry.yaml (in the working directory unless --registry)
  plan   the resolved execution plan of a pattern at a level, as JSON
  run    tick(s) of a pattern; --dry-run uses the scripted backend (no key, no network)
  console  the loop console (runs, traces, delegations, budget, kill) at http://127.0.0.1:4319;
         a host other than 127.0.0.1 needs --token (or AGENT_RUNTIME_CONSOLE_TOKEN); prints {"url"} on stdout
  --mode   one delegated loop from the config's registry; the day's cap (ledger scope --scope, default the mode)
         is checked before it starts and every usage it reports is recorded; the kill-switch halts it (exit 3)

exit codes: 0 ok · 1 the run failed or timed out · 2 usage or config error · 3 halted by the budget or the kill-switch
stdout: machine-readable (JSON for list, plan, --mode; the run report for run, JSON with --json)
stderr: progress (a live line on a terminal, plain lines when piped)
env: ${LOOP_CLOCK_ENV}=<ISO time|epoch ms> fixes the clock (tests); AGENT_RUNTIME_KILL=1 halts; DATABASE_URL=postgres://… shares the ledger
kill-switch: the file .agent-runtime/KILL, AGENT_RUNTIME_KILL=1, or halt: true in STATE.md (run and --mode alike)
ledger: --ledger, else DATABASE_URL, else .agent-runtime/ledger.db (SQLite)
`

/** Streams and environment of the command. @experimental */
export interface LoopCliIo {
  stdout: { write(s: string): unknown; isTTY?: boolean }
  stderr: { write(s: string): unknown; isTTY?: boolean }
  cwd: string
  env: Record<string, string | undefined>
  version: string
  signal?: AbortSignal
}

type Flags = Record<string, string | boolean>
interface Parsed {
  positional: string[]
  flags: Flags
}

const BOOLEAN_FLAGS = new Set(['dry-run', 'help', 'version', 'json'])

function parseArgv(argv: readonly string[]): Parsed {
  const positional: string[] = []
  const flags: Flags = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-h') flags.help = true
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2)
      if (eq > 0) flags[name] = a.slice(eq + 1)
      else if (BOOLEAN_FLAGS.has(name)) flags[name] = true
      else flags[name] = argv[++i] ?? ''
    } else positional.push(a)
  }
  return { positional, flags }
}

class UsageError extends Error {}

const str = (f: Flags, k: string): string | undefined => (typeof f[k] === 'string' ? (f[k] as string) : undefined)
function int(f: Flags, k: string): number | undefined {
  const v = str(f, k)
  if (v === undefined) return undefined
  const n = Number(v.replace(/_/g, ''))
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${k} must be a positive integer, got '${v}'`)
  return n
}
function positiveNumber(f: Flags, k: string): number | undefined {
  const v = str(f, k)
  if (v === undefined) return undefined
  const n = Number(v.replace(/_/g, ''))
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${k} must be a positive number, got '${v}'`)
  return n
}
function level(f: Flags): AutonomyLevel | undefined {
  const v = str(f, 'level')
  if (v === undefined) return undefined
  if (!isAutonomyLevel(v)) throw new UsageError(`--level must be one of ${AUTONOMY_LEVELS.join(', ')}, got '${v}'`)
  return v
}
function clockFrom(env: LoopCliIo['env']): (() => number) | undefined {
  const raw = env[LOOP_CLOCK_ENV]
  if (!raw) return undefined
  const t = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw)
  if (!Number.isFinite(t)) throw new UsageError(`${LOOP_CLOCK_ENV} must be an ISO time or epoch ms, got '${raw}'`)
  return () => t
}

/** One subcommand: runs with the parsed argv and resolves with the exit code. @experimental */
export type LoopCommand = (args: Parsed, io: LoopCliIo) => Promise<number>

const registryPath = (a: Parsed, io: LoopCliIo) => resolve(io.cwd, str(a.flags, 'registry') ?? 'registry.yaml')

/** The subcommands, by name; a new one (e.g. `console`) is one entry. @experimental */
export const LOOP_COMMANDS: Record<string, LoopCommand> = {
  async list(a, io) {
    const reg = loadLoopRegistry(registryPath(a, io))
    io.stdout.write(safeJson({ registry: reg.file, patterns: reg.patterns.map((p) => ({ id: p.id, name: p.name, cadence: p.cadence, risk: p.risk, week_one_mode: p.week_one_mode, suggested_daily_cap: p.cost?.suggested_daily_cap })) }))
    return LOOP_CLI_EXIT.ok
  },
  async plan(a, io) {
    const id = a.positional[1]
    if (!id) throw new UsageError('plan needs a pattern id: agent-runtime-loop plan <pattern> --level L1')
    const lvl = level(a.flags)
    const cap = int(a.flags, 'daily-cap')
    const registry = loadLoopRegistry(registryPath(a, io))
    const pattern = findPattern(registry, id)
    const plan = buildPlan(pattern, { ...(lvl ? { level: lvl } : {}), ...(cap ? { dailyCap: cap } : {}) })
    io.stdout.write(safeJson({ ...plan, loopFile: readLoopFile(registry, pattern).path }))
    return LOOP_CLI_EXIT.ok
  },
  async run(a, io) {
    const id = a.positional[1]
    if (!id) throw new UsageError('run needs a pattern id: agent-runtime-loop run <pattern> [--level L2] [--dry-run]')
    const registry = loadLoopRegistry(registryPath(a, io))
    const pattern = findPattern(registry, id)
    const loopFile = readLoopFile(registry, pattern)
    const dryRun = a.flags['dry-run'] === true
    const backendName = str(a.flags, 'backend') ?? 'mock'
    if (backendName !== 'mock' && backendName !== 'claude') throw new UsageError(`--backend must be mock or claude, got '${backendName}'`)
    if (!dryRun && backendName === 'mock') throw new UsageError('run without --dry-run needs a real backend: pass --backend claude (or --dry-run for the scripted one)')
    const root = io.cwd
    await git(root, ['rev-parse', '--show-toplevel']).catch(() => {
      throw new UsageError(`${root} is not a git repository: ticks run in git worktrees; run inside a repository`)
    })
    const plan = buildPlan(pattern, { ...(level(a.flags) ? { level: level(a.flags)! } : {}) })
    const live = io.stderr.isTTY === true
    const traces = await openRunTraces(root, io.env)
    const summary = await runPattern({
      ...(traces ? { traces: traces.traces } : {}),
      pattern,
      instructions: loopFile.body,
      root,
      ...(level(a.flags) ? { level: level(a.flags)! } : {}),
      backend: dryRun || backendName === 'mock' ? createScriptedTickBackend() : createClaudeTickBackend(root),
      workspace: createGitWorkspace({ repoRoot: root, ...(plan.testCmd ? { testCmd: plan.testCmd } : {}) }),
      ticks: int(a.flags, 'ticks') ?? 1,
      dryRun,
      ...(int(a.flags, 'daily-cap') ? { dailyCap: int(a.flags, 'daily-cap')! } : {}),
      ...(io.env.DATABASE_URL ? { ledger: io.env.DATABASE_URL } : {}),
      ...(clockFrom(io.env) ? { clock: clockFrom(io.env)! } : {}),
      env: io.env,
      ...(io.signal ? { signal: io.signal } : {}),
      onProgress: (line) => io.stderr.write(live ? `\r\x1b[2K${line}` : `${line}\n`),
    }).finally(() => traces?.close())
    if (live) io.stderr.write('\n')
    // A dry run leaves the repository as it found it: its throwaway branches go.
    if (dryRun) for (const t of summary.ticks) if (t.branch && t.commitTarget !== 'target-branch') await git(root, ['branch', '-D', t.branch]).catch(() => undefined)
    io.stdout.write(a.flags.json === true ? safeJson(summary) : formatRunReport(summary))
    if (summary.halted) return LOOP_CLI_EXIT.halted
    return summary.ticks.some((t) => t.outcome === 'failed') ? LOOP_CLI_EXIT.failed : LOOP_CLI_EXIT.ok
  },
  console: (a, io) => consoleCommand(a, io),
}

/**
 * Runs `agent-runtime-loop` and resolves with its exit code. `--help`/`-h`
 * print usage on stdout (exit 0); `--timeout MS` ends a run that never
 * settles with a JSON error (exit 1); errors name the file, field and line.
 * @experimental
 * @example
 * process.exitCode = await runLoopCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env, version: '0.1.0' })
 */
export async function runLoopCli(argv: readonly string[], io: LoopCliIo): Promise<number> {
  let parsed: Parsed
  try {
    parsed = parseArgv(argv)
  } catch (err) {
    io.stderr.write(safeJson({ error: errorMessage(err) }))
    return LOOP_CLI_EXIT.usage
  }
  if (parsed.flags.help === true) {
    io.stdout.write(LOOP_CLI_USAGE)
    return LOOP_CLI_EXIT.ok
  }
  if (parsed.flags.version === true) {
    io.stdout.write(`${io.version}\n`)
    return LOOP_CLI_EXIT.ok
  }
  let timeoutMs: number | undefined
  try {
    timeoutMs = int(parsed.flags, 'timeout')
  } catch (err) {
    io.stderr.write(safeJson({ error: errorMessage(err) }))
    return LOOP_CLI_EXIT.usage
  }
  const controller = new AbortController()
  const forward = () => controller.abort(io.signal?.reason)
  io.signal?.addEventListener('abort', forward, { once: true })
  const sub: LoopCliIo = { ...io, signal: controller.signal }
  const name = parsed.positional[0]
  const work = (async (): Promise<number> => {
    if (parsed.flags.mode !== undefined || parsed.flags.config !== undefined) {
      // The run row lets the console list mode runs beside pattern runs.
      const mode = parsed.flags.mode
      const dailyTokenCap = int(parsed.flags, 'daily-cap')
      const dailyCostCapUsd = positiveNumber(parsed.flags, 'daily-cost-cap')
      const runnable = typeof mode === 'string' && typeof parsed.flags.config === 'string'
      // A persisted ledger only when there is a cap to share or one is named: an uncapped run needs no
      // database (nor better-sqlite3's native build), and the kill-switch still applies through a memory ledger.
      const persisted = runnable && (dailyTokenCap !== undefined || dailyCostCapUsd !== undefined || str(parsed.flags, 'ledger') !== undefined)
      const ledger = persisted
        ? await openBudgetLedger(str(parsed.flags, 'ledger') ?? io.env.DATABASE_URL ?? resolve(io.cwd, '.agent-runtime', 'ledger.db'))
        : runnable
          ? { ledger: createMemoryBudgetLedger(), close: async () => {} }
          : undefined
      const clock = clockFrom(io.env)
      const breaker = ledger
        ? createBudgetBreaker({
            ledger: ledger.ledger,
            ...(dailyTokenCap !== undefined ? { dailyTokenCap } : {}),
            ...(dailyCostCapUsd !== undefined ? { dailyCostCapUsd } : {}),
            ...(clock ? { clock } : {}),
            scope: str(parsed.flags, 'scope') ?? String(mode),
            killSwitch: createKillSwitch(io.cwd, { statePath: resolve(io.cwd, 'STATE.md'), env: io.env }),
          })
        : undefined
      const traces = typeof mode === 'string' ? await openRunTraces(io.cwd, io.env) : undefined
      const run = (capture: (sink: { write(s: string): unknown }) => { write(s: string): unknown }) =>
        runLoopRunnerCli(argv.filter((a, i) => !(a === '--timeout' || a.startsWith('--timeout=') || argv[i - 1] === '--timeout')), {
          ...(breaker ? { breaker } : {}),
          stdout: capture({ write: (s) => io.stdout.write(s) }),
          stderr: { write: (s) => io.stderr.write(s) },
          importModule: (p) => import(pathToFileURL(resolve(io.cwd, p)).href),
          signal: controller.signal,
        })
      return recordModeRun(traces?.traces, String(mode), clock ?? (() => Date.now()), run).finally(async () => {
        traces?.close()
        await ledger?.close()
      })
    }
    const command = name ? LOOP_COMMANDS[name] : undefined
    if (!command) throw new UsageError(name ? `unknown command '${name}' (commands: ${Object.keys(LOOP_COMMANDS).join(', ')}, or --mode)` : 'no command given')
    return command(parsed, sub)
  })()
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<number>((res) => {
    if (timeoutMs === undefined) return
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`))
      io.stdout.write(safeJson({ error: `timed out after ${timeoutMs} ms (--timeout)`, ok: false }))
      res(LOOP_CLI_EXIT.failed)
    }, timeoutMs)
  })
  try {
    return await Promise.race([work, timedOut])
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${errorMessage(err)}\n\n${LOOP_CLI_USAGE}`)
      return LOOP_CLI_EXIT.usage
    }
    const code = (err as { code?: string }).code
    io.stderr.write(safeJson({ error: errorMessage(err) }))
    return code === 'config' || code === 'validation' ? LOOP_CLI_EXIT.usage : LOOP_CLI_EXIT.failed
  } finally {
    if (timer) clearTimeout(timer)
    io.signal?.removeEventListener('abort', forward)
  }
}
