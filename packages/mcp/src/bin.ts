/**
 * The `agent-runtime-mcp` command: the delegation MCP server over stdio (or
 * Streamable HTTP with `--http`), its delegations kept in SQLite or
 * PostgreSQL. Exit codes: 0 stopped cleanly (SIGINT, SIGTERM, stdin closed),
 * 1 a runtime failure (store or fleet unreachable), 2 usage or configuration
 * error. Stdout carries only protocol; everything else goes to stderr.
 */
import { createPropagatingTraceEmitter, errorMessage, type OtelExporter } from '@tangle-network/agent-runtime-core'
import { createOtelExporter } from '@tangle-network/agent-runtime-core/node'
import { detectExecutor, type LoopSandboxClient } from '@tangle-network/agent-runtime-core/loops'
import { createLocalCoderDelegate } from './embedded-coder.js'
import { createMcpServer, type DelegationMcpServer, type McpServerOptions } from './server.js'
import { openDelegationStore } from './store/open.js'
import type { DelegationRecoveryMode, DelegationStore } from './store/types.js'
import type { DelegationDispatcher } from './dispatch.js'

/** Usage text of `agent-runtime-mcp`. @experimental */
export const MCP_BIN_USAGE = `usage: agent-runtime-mcp [--config ./mcp.config.mjs] [--http PORT [--host HOST]]
       agent-runtime-mcp --help | --version

Serves the delegation MCP tools (delegate_code, delegate_research, delegate_feedback,
delegation_status, delegation_history, delegation_cancel) over stdio, or over
Streamable HTTP at http://HOST:PORT/mcp with --http.

  --config FILE   module whose default export is createMcpServer options, or a
                  (sync or async) factory returning them; replaces the embedded coder
  --http PORT     serve Streamable HTTP instead of stdio (HOST default 127.0.0.1)

Environment:
  TANGLE_API_KEY                       use the Tangle sandbox (needs @tangle-network/sandbox);
                                       without it delegations run in local git worktrees
  SANDBOX_BASE_URL                     sandbox API base URL override
  TANGLE_FLEET_ID                      place iterations on that fleet (needs TANGLE_API_KEY)
  TANGLE_FLEET_EXCLUDE_MACHINES        comma-separated machine ids the fleet round-robin skips
  MCP_CODER_FANOUT_HARNESSES           comma-separated harnesses (claude-code, codex, opencode[/provider/model])
  MCP_MAX_CONCURRENT_SANDBOXES         candidates at once per delegation (default 4, max 32)
  MCP_DISABLE_CODER, MCP_DISABLE_RESEARCHER   any non-empty value omits that tool
  AGENT_RUNTIME_DELEGATION_DB          SQLite file (default .agent-runtime/delegations.db)
  DATABASE_URL                         use PostgreSQL instead of SQLite
  AGENT_RUNTIME_DISPATCH=postgres      only enqueue (graphile-worker on DATABASE_URL); agent-runtime-worker
                                       processes run the delegations (needs @tangle-network/agent-runtime-worker)
  AGENT_RUNTIME_WORKER_SCHEMA          graphile-worker schema (default graphile_worker)
  AGENT_RUNTIME_QUEUE                  graphile-worker queue name for delegations (default: none, run in parallel)
  AGENT_RUNTIME_DELEGATION_RECOVER     'rerun' re-runs delegations cut off by a crash (once); default: mark them failed
  AGENT_RUNTIME_DELEGATION_RETAIN_DAYS days finished delegations are kept (default 30)
  AGENT_RUNTIME_DELEGATION_LEASE_MS    ms a running delegation's lease lasts unrenewed; a server starting later
                                       on the same store recovers it only after that (default 30000)
  OTEL_EXPORTER_OTLP_ENDPOINT          export each delegation's loop spans over OTLP/HTTP
  TRACE_ID, PARENT_SPAN_ID             join the caller's trace

Exit codes: 0 stopped, 1 runtime failure, 2 usage or configuration error.`

/** What the bin needs from its process. @experimental */
export interface McpBinIo {
  env: Record<string, string | undefined>
  cwd: string
  stderr: { write(s: string): unknown }
  stdout: { write(s: string): unknown }
  /** Loads the `--config` module (a file path, resolved against the cwd by the caller). */
  importModule: (path: string) => Promise<Record<string, unknown>>
  /** Resolves when the process should stop (a signal, stdin closed). */
  stopRequested: Promise<string>
  /** Version printed by `--version`. */
  version: string
  /** Loads the Tangle sandbox SDK; default `import('@tangle-network/sandbox')`. */
  loadSandboxSdk?: () => Promise<{ Sandbox: new (o: { apiKey: string; baseUrl?: string }) => unknown }>
  /** Opens the dispatcher of `AGENT_RUNTIME_DISPATCH=postgres`; default loads `@tangle-network/agent-runtime-worker`. */
  loadDispatcher?: (options: PostgresDispatchOptions) => Promise<DelegationDispatcher>
}

/** What `AGENT_RUNTIME_DISPATCH=postgres` hands `McpBinIo.loadDispatcher`. @experimental */
export interface PostgresDispatchOptions {
  connectionString: string
  schema?: string
  queueName?: string
  tablePrefix: string
}

class UsageError extends Error {}

interface ParsedArgs {
  help: boolean
  version: boolean
  config?: string
  http?: { port: number; host: string }
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { help: false, version: false }
  let host = '127.0.0.1'
  let port: number | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`)
      return v
    }
    if (flag === '--help' || flag === '-h') out.help = true
    else if (flag === '--version' || flag === '-v') out.version = true
    else if (flag === '--config') out.config = value()
    else if (flag === '--host') host = value()
    else if (flag === '--http') {
      const raw = value()
      port = Number(raw)
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--http must be a port number 0..65535, got ${JSON.stringify(raw)}`)
    } else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`)
  }
  if (port !== undefined) out.http = { port, host }
  return out
}

/** `MCP_MAX_CONCURRENT_SANDBOXES`: default 4, at most 32, anything invalid → 4. @experimental */
export function maxConcurrentSandboxes(raw: string | undefined): number {
  const n = Number(raw)
  if (raw === undefined || raw.trim() === '' || !Number.isInteger(n) || n < 1) return 4
  return Math.min(n, 32)
}

function listEnv(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

async function loadConfig(io: McpBinIo, path: string): Promise<McpServerOptions> {
  let mod: Record<string, unknown>
  try {
    mod = await io.importModule(path)
  } catch (err) {
    throw new UsageError(`--config ${path}: could not load the module: ${errorMessage(err)}`)
  }
  let value: unknown = mod.default ?? mod
  if (typeof value === 'function') value = await (value as () => unknown)()
  if (typeof value !== 'object' || value === null) {
    throw new UsageError(`--config ${path}: the default export must be createMcpServer options or a factory returning them, got ${value === null ? 'null' : typeof value}`)
  }
  return value as McpServerOptions
}

/** Builds the default coder delegate and says where it places work. */
async function embeddedCoder(io: McpBinIo, exporter: OtelExporter | undefined): Promise<{ options: McpServerOptions; placement: string }> {
  const env = io.env
  // OTEL stays off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; TRACE_ID / PARENT_SPAN_ID join a caller's trace.
  const traceEmitter = exporter ? createPropagatingTraceEmitter({ exporter, env }) : undefined
  const harnesses = listEnv(env.MCP_CODER_FANOUT_HARNESSES)
  const maxConcurrency = maxConcurrentSandboxes(env.MCP_MAX_CONCURRENT_SANDBOXES)
  const key = env.TANGLE_API_KEY?.trim()
  const fleetId = env.TANGLE_FLEET_ID?.trim()
  if (!key) {
    if (fleetId) throw new UsageError(`TANGLE_FLEET_ID=${fleetId} needs TANGLE_API_KEY (fleet placement uses the Tangle sandbox); set the key or unset TANGLE_FLEET_ID`)
    const coderDelegate = createLocalCoderDelegate({ ...(harnesses.length ? { fanoutHarnesses: harnesses } : {}), maxConcurrency, traceEmitter })
    const names = harnesses.length ? harnesses.join(',') : 'claude-code,codex,opencode/zai-coding-plan/glm-5.1'
    return { options: { coderDelegate }, placement: `local (sandbox-local git worktrees; CLI agents ${names})` }
  }
  let sdk: Awaited<ReturnType<NonNullable<McpBinIo['loadSandboxSdk']>>>
  try {
    // An optional peer: a specifier in a variable keeps bundlers from resolving it at build time.
    const peer = '@tangle-network/sandbox'
    sdk = await (io.loadSandboxSdk ?? (() => import(/* @vite-ignore */ peer)))()
  } catch (err) {
    throw new UsageError(`TANGLE_API_KEY is set but @tangle-network/sandbox could not be loaded (${errorMessage(err)}); install it, or unset TANGLE_API_KEY to run delegations in local git worktrees`)
  }
  const client = new sdk.Sandbox({ apiKey: key, ...(env.SANDBOX_BASE_URL ? { baseUrl: env.SANDBOX_BASE_URL } : {}) })
  // A fleet that fails to resolve is a ConfigError: exit 2, as the reference's docs promise.
  const executor = await detectExecutor({ sandboxClient: client as never, env })
  const placement = fleetId ? `fleet (fleetId=${fleetId})` : 'sibling (Tangle sandbox)'
  if (fleetId) io.stderr.write(`agent-runtime-mcp: fleet-aware delegation: fleetId=${fleetId}\n`)
  const coderDelegate = createLocalCoderDelegate({
    sandboxClient: executor as LoopSandboxClient,
    ...(harnesses.length ? { fanoutHarnesses: harnesses } : {}),
    maxConcurrency,
    traceEmitter,
  })
  return { options: { coderDelegate }, placement }
}

/** `AGENT_RUNTIME_DISPATCH`: unset or `local` runs here; `postgres` needs DATABASE_URL. */
function dispatchOptions(env: Record<string, string | undefined>): PostgresDispatchOptions | undefined {
  const mode = env.AGENT_RUNTIME_DISPATCH?.trim()
  if (!mode || mode === 'local') return undefined
  if (mode !== 'postgres') throw new UsageError(`AGENT_RUNTIME_DISPATCH must be 'postgres' or 'local', got ${JSON.stringify(mode)}`)
  const url = env.DATABASE_URL?.trim()
  if (!url) throw new UsageError('AGENT_RUNTIME_DISPATCH=postgres needs DATABASE_URL (the PostgreSQL the workers share); set it, or unset AGENT_RUNTIME_DISPATCH to run delegations here')
  return {
    connectionString: url,
    tablePrefix: 'agent_runtime',
    ...(env.AGENT_RUNTIME_WORKER_SCHEMA?.trim() ? { schema: env.AGENT_RUNTIME_WORKER_SCHEMA.trim() } : {}),
    ...(env.AGENT_RUNTIME_QUEUE?.trim() ? { queueName: env.AGENT_RUNTIME_QUEUE.trim() } : {}),
  }
}

async function openDispatcher(io: McpBinIo, options: PostgresDispatchOptions): Promise<DelegationDispatcher> {
  if (io.loadDispatcher) return io.loadDispatcher(options)
  let mod: { createPostgresDispatcher: (o: PostgresDispatchOptions) => DelegationDispatcher }
  try {
    // An optional peer: a specifier in a variable keeps bundlers (and this package's deps) free of it.
    const peer = '@tangle-network/agent-runtime-worker'
    mod = await import(/* @vite-ignore */ peer)
  } catch (err) {
    throw new UsageError(`AGENT_RUNTIME_DISPATCH=postgres needs @tangle-network/agent-runtime-worker (${errorMessage(err)}); install it, or unset AGENT_RUNTIME_DISPATCH`)
  }
  return mod.createPostgresDispatcher(options)
}

function recoverMode(raw: string | undefined): DelegationRecoveryMode {
  const v = raw?.trim()
  if (!v || v === 'fail') return 'fail'
  if (v === 'rerun') return 'rerun'
  throw new UsageError(`AGENT_RUNTIME_DELEGATION_RECOVER must be 'rerun' or 'fail', got ${JSON.stringify(raw)}`)
}

function retainDays(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`AGENT_RUNTIME_DELEGATION_RETAIN_DAYS must be a positive number of days, got ${JSON.stringify(raw)}`)
  return n
}

function leaseMs(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 3) throw new UsageError(`AGENT_RUNTIME_DELEGATION_LEASE_MS must be a whole number of milliseconds >= 3, got ${JSON.stringify(raw)}`)
  return n
}

/**
 * Runs `agent-runtime-mcp` until asked to stop; resolves with the exit code.
 * @experimental
 * @example
 * process.exitCode = await runMcpServerCli(process.argv.slice(2), io)
 */
export async function runMcpServerCli(argv: readonly string[], io: McpBinIo): Promise<number> {
  const say = (line: string) => io.stderr.write(`agent-runtime-mcp: ${line}\n`)
  let args: ParsedArgs
  let recover: DelegationRecoveryMode
  let retain: number | undefined
  let lease: number | undefined
  let dispatch: PostgresDispatchOptions | undefined
  try {
    args = parseArgs(argv)
    dispatch = dispatchOptions(io.env)
    recover = recoverMode(io.env.AGENT_RUNTIME_DELEGATION_RECOVER)
    retain = retainDays(io.env.AGENT_RUNTIME_DELEGATION_RETAIN_DAYS)
    lease = leaseMs(io.env.AGENT_RUNTIME_DELEGATION_LEASE_MS)
  } catch (err) {
    say(errorMessage(err))
    io.stderr.write(`${MCP_BIN_USAGE}\n`)
    return 2
  }
  if (args.help) {
    io.stderr.write(`${MCP_BIN_USAGE}\n`)
    return 0
  }
  if (args.version) {
    io.stdout.write(`${io.version}\n`)
    return 0
  }
  let store: DelegationStore | undefined
  let server: DelegationMcpServer | undefined
  let exporter: OtelExporter | undefined
  let dispatcher: DelegationDispatcher | undefined
  try {
    exporter = createOtelExporter({ env: io.env })
    let options: McpServerOptions
    let placement: string
    if (args.config) {
      options = await loadConfig(io, args.config)
      placement = `from ${args.config}`
    } else {
      ;({ options, placement } = await embeddedCoder(io, exporter))
    }
    if (io.env.MCP_DISABLE_CODER?.trim()) delete options.coderDelegate
    if (io.env.MCP_DISABLE_RESEARCHER?.trim()) delete options.researcherDelegate
    let storeName = 'the store given by --config'
    if (!options.store) {
      const opened = await openDelegationStore({ env: io.env, cwd: io.cwd })
      store = opened.store
      storeName = opened.describe
    }
    if (dispatch) {
      dispatcher = await openDispatcher(io, dispatch)
      placement = `postgres queue (graphile-worker schema ${dispatch.schema ?? 'graphile_worker'}); agent-runtime-worker processes run them`
    }
    server = createMcpServer({
      serverName: 'agent-runtime-mcp',
      serverVersion: io.version,
      recover,
      ...(retain !== undefined ? { retainDays: retain } : {}),
      ...(lease !== undefined ? { leaseMs: lease } : {}),
      log: say,
      ...options,
      ...(store ? { store } : {}),
      ...(dispatcher ? { dispatcher } : {}),
    })
    const served = await server.serve(args.http ? { http: args.http } : 'stdio')
    const tools = server.tools.map((t) => t.name).join(',')
    say(`delegation placement → ${placement}; store ${storeName}; transport ${served.url ?? 'stdio'}; tools ${tools}`)
  } catch (err) {
    say(errorMessage(err))
    await server?.stop().catch(() => {})
    await dispatcher?.close?.().catch(() => {})
    await store?.close().catch(() => {})
    await exporter?.shutdown()
    if (err instanceof UsageError) {
      io.stderr.write(`${MCP_BIN_USAGE}\n`)
      return 2
    }
    return (err as { code?: string }).code === 'config' || (err as { code?: string }).code === 'validation' ? 2 : 1
  }
  const reason = await io.stopRequested
  say(`${reason}: stopping (no new calls; running delegations are recovered at the next start)`)
  await server.stop()
  await dispatcher?.close?.()
  await store?.close()
  await exporter?.shutdown()
  return 0
}
