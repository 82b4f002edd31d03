import { safeJson } from '../util/safe-json.js'
import { errorMessage } from '../errors.js'
import type { BudgetBreaker } from '../loop-ops/breaker.js'
import { DELEGATED_LOOP_MODES, type DelegatedLoopRegistry, isDelegatedLoopMode, registeredDelegatedModes, runDelegatedLoop } from './run-delegated-loop.js'

/** Somewhere to write text (a stream or a test buffer). @experimental */
export interface TextSink {
  write(text: string): unknown
}

/** I/O of {@link runLoopRunnerCli}; the bin passes the process's streams and a file-URL importer. @experimental */
export interface LoopRunnerCliIo {
  stdout: TextSink
  stderr: TextSink
  /** Loads the config module named by `--config`; default: dynamic `import()` of the path as given. */
  importModule?(path: string): Promise<unknown>
  signal?: AbortSignal
  /** Budget breaker over the day's ledger (the bin builds one from `--daily-cap`, `--daily-cost-cap`, `--ledger` and the kill-switch). */
  breaker?: BudgetBreaker
}

/** Usage text of the `agent-runtime-loop` bin. @experimental */
export const LOOP_RUNNER_USAGE = `usage: agent-runtime-loop --mode <${DELEGATED_LOOP_MODES.join('|')}> --config <path to module>
  The config module's default export (or the module itself) is a registry
  { [mode]: (signal) => Promise<result> }, or a sync or async function returning one.
`

/** Exit codes: 0 the loop succeeded, 1 it ran and failed, 2 bad usage or config, 3 halted by the budget breaker (daily cap or kill-switch). @experimental */
export const LOOP_RUNNER_EXIT = { ok: 0, failed: 1, usage: 2, halted: 3 } as const

function parseArgs(argv: readonly string[]): { mode?: string; config?: string } {
  const out: { mode?: string; config?: string } = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    for (const name of ['mode', 'config'] as const) {
      if (arg === `--${name}`) out[name] = argv[++i]
      else if (arg.startsWith(`--${name}=`)) out[name] = arg.slice(name.length + 3)
    }
  }
  return out
}

async function loadRegistry(mod: unknown): Promise<DelegatedLoopRegistry> {
  const exported = (mod as { default?: unknown } | null)?.default ?? mod
  const registry = typeof exported === 'function' ? await (exported as () => unknown)() : exported
  if (registry === null || typeof registry !== 'object') {
    throw new Error(`config must export a registry object or a function returning one; got ${registry === null ? 'null' : typeof registry}`)
  }
  return registry as DelegatedLoopRegistry
}

/**
 * The `agent-runtime-loop` command without the process: parses
 * `--mode M --config path` (or `--mode=M --config=path`), loads the registry,
 * runs the loop, prints the JSON result, and resolves with the exit code
 * (0 ok, 1 the loop failed, 2 usage, unknown mode, load error or unregistered mode,
 * 3 halted by `io.breaker`).
 * @experimental
 * @example
 * process.exitCode = await runLoopRunnerCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr })
 */
export async function runLoopRunnerCli(argv: readonly string[], io: LoopRunnerCliIo): Promise<number> {
  const { mode, config } = parseArgs(argv)
  if (!mode || !config) {
    io.stderr.write(LOOP_RUNNER_USAGE)
    return LOOP_RUNNER_EXIT.usage
  }
  if (!isDelegatedLoopMode(mode)) {
    io.stderr.write(safeJson({ error: `unknown mode '${mode}' (expected one of: ${DELEGATED_LOOP_MODES.join(', ')})` }))
    return LOOP_RUNNER_EXIT.usage
  }
  let registry: DelegatedLoopRegistry
  try {
    const importModule = io.importModule ?? ((p: string) => import(p))
    registry = await loadRegistry(await importModule(config))
  } catch (err) {
    io.stderr.write(safeJson({ error: `failed to load registry: ${errorMessage(err)}` }))
    return LOOP_RUNNER_EXIT.usage
  }
  if (typeof registry[mode] !== 'function') {
    io.stderr.write(safeJson({ error: `config registers no runner for mode '${mode}' (registered: ${registeredDelegatedModes(registry).join(', ') || 'none'})` }))
    return LOOP_RUNNER_EXIT.usage
  }
  const result = await runDelegatedLoop(mode, registry, { signal: io.signal, ...(io.breaker ? { breaker: io.breaker } : {}) })
  io.stdout.write(safeJson(result))
  if (result.halted) return LOOP_RUNNER_EXIT.halted
  return result.ok ? LOOP_RUNNER_EXIT.ok : LOOP_RUNNER_EXIT.failed
}
