/**
 * The `agent-runtime-worker` command: one worker process of the delegation
 * queue on PostgreSQL. Exit codes: 0 stopped cleanly (SIGINT, SIGTERM),
 * 1 a runtime failure (database unreachable, graphile-worker failed),
 * 2 usage or configuration error. Progress goes to stderr; stdout carries
 * one JSON object at exit (the worker's counters), or the version.
 */
import { errorMessage } from '@tangle-network/agent-runtime-core'
import { createLocalCoderDelegate } from '@tangle-network/agent-runtime-mcp'
import { z } from 'zod'
import { type RunWorkerOptions, runWorker, type WorkerHandle } from './worker.js'

/** Usage text of `agent-runtime-worker`. @experimental */
export const WORKER_BIN_USAGE = `usage: agent-runtime-worker [--config ./worker.config.mjs] [--concurrency N]
       agent-runtime-worker --help | --version

Runs delegations queued by agent-runtime-mcp (AGENT_RUNTIME_DISPATCH=postgres) or by
createPostgresDispatcher, on graphile-worker over the PostgreSQL in DATABASE_URL.
Start as many as you like, on as many hosts as you like, against one database.

  --config FILE      module whose default export is runWorker options (coderDelegate,
                     researcherDelegate, schedules, …) or a (sync or async) factory
                     returning them; default: the embedded local coder delegate
  --concurrency N    delegations at once in this process (default 4)

Environment:
  DATABASE_URL                    PostgreSQL shared with the servers (required)
  AGENT_RUNTIME_WORKER_SCHEMA     graphile-worker schema (default graphile_worker)
  AGENT_RUNTIME_QUEUE             graphile-worker queue name (default none: run in parallel)
  AGENT_RUNTIME_HEARTBEAT_MS      lease heartbeat period (default 5000)
  AGENT_RUNTIME_LEASE_MS          lease length (default 30000)
  AGENT_RUNTIME_SWEEP_MS          sweep period; whole minutes use the crontab (default 60000)
  AGENT_RUNTIME_TABLE_PREFIX      delegation store table prefix (default agent_runtime, as agent-runtime-mcp)

Stdout: one JSON line at exit, {"workerId", "completed", "failed", "fenced", "released", "skipped", "swept"}.
Exit codes: 0 stopped, 1 runtime failure, 2 usage or configuration error.`

/** What the bin needs from its process. @experimental */
export interface WorkerBinIo {
  env: Record<string, string | undefined>
  stderr: { write(s: string): unknown }
  stdout: { write(s: string): unknown }
  /** Loads the `--config` module (resolved against the cwd by the caller). */
  importModule: (path: string) => Promise<Record<string, unknown>>
  /** Resolves when the process should stop (a signal). */
  stopRequested: Promise<string>
  version: string
}

class UsageError extends Error {}

const envInt = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number of milliseconds`)
    .transform(Number)
    .optional()

const envSchema = z.object({
  DATABASE_URL: z.string({ error: 'DATABASE_URL is required: the postgres:// URL of the database the servers and workers share' }).trim().regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// URL'),
  AGENT_RUNTIME_WORKER_SCHEMA: z.string().trim().min(1).optional(),
  AGENT_RUNTIME_QUEUE: z.string().trim().min(1).optional(),
  AGENT_RUNTIME_HEARTBEAT_MS: envInt('AGENT_RUNTIME_HEARTBEAT_MS'),
  AGENT_RUNTIME_LEASE_MS: envInt('AGENT_RUNTIME_LEASE_MS'),
  AGENT_RUNTIME_SWEEP_MS: envInt('AGENT_RUNTIME_SWEEP_MS'),
  AGENT_RUNTIME_TABLE_PREFIX: z.string().trim().min(1).optional(),
})

interface ParsedArgs {
  help: boolean
  version: boolean
  config?: string
  concurrency?: number
}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { help: false, version: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    const flag = eq > 0 ? arg.slice(0, eq) : arg
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`)
      return v
    }
    if (flag === '--help' || flag === '-h') out.help = true
    else if (flag === '--version' || flag === '-v') out.version = true
    else if (flag === '--config') out.config = value()
    else if (flag === '--concurrency') {
      const raw = value()
      const n = Number(raw)
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--concurrency must be an integer >= 1, got ${JSON.stringify(raw)}`)
      out.concurrency = n
    } else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`)
  }
  return out
}

async function loadConfig(io: WorkerBinIo, path: string): Promise<RunWorkerOptions> {
  let mod: Record<string, unknown>
  try {
    mod = await io.importModule(path)
  } catch (err) {
    throw new UsageError(`--config ${path}: could not load the module: ${errorMessage(err)}`)
  }
  let value: unknown = mod.default ?? mod
  if (typeof value === 'function') value = await (value as () => unknown)()
  if (typeof value !== 'object' || value === null) {
    throw new UsageError(`--config ${path}: the default export must be runWorker options or a factory returning them, got ${value === null ? 'null' : typeof value}`)
  }
  return value as RunWorkerOptions
}

/**
 * Runs `agent-runtime-worker` until asked to stop; resolves with the exit code.
 * @experimental
 * @example
 * process.exitCode = await runWorkerCli(process.argv.slice(2), io)
 */
export async function runWorkerCli(argv: readonly string[], io: WorkerBinIo): Promise<number> {
  const say = (line: string) => io.stderr.write(`agent-runtime-worker: ${line}\n`)
  let args: ParsedArgs
  let env: z.infer<typeof envSchema>
  try {
    args = parseArgs(argv)
    if (args.help || args.version) env = {} as never
    else {
      const parsed = envSchema.safeParse(io.env)
      // Messages that already name their variable are printed as they are.
      const describe = (i: z.core.$ZodIssue) => (i.message.startsWith(String(i.path[0])) ? i.message : `${i.path.join('.')}: ${i.message}`)
      if (!parsed.success) throw new UsageError(parsed.error.issues.map(describe).join('; '))
      env = parsed.data
    }
  } catch (err) {
    say(errorMessage(err))
    io.stderr.write(`${WORKER_BIN_USAGE}\n`)
    return 2
  }
  if (args.help) {
    io.stderr.write(`${WORKER_BIN_USAGE}\n`)
    return 0
  }
  if (args.version) {
    io.stdout.write(`${io.version}\n`)
    return 0
  }
  let worker: WorkerHandle
  try {
    const config = args.config ? await loadConfig(io, args.config) : { coderDelegate: createLocalCoderDelegate() }
    worker = await runWorker({
      ...(env.AGENT_RUNTIME_WORKER_SCHEMA ? { schema: env.AGENT_RUNTIME_WORKER_SCHEMA } : {}),
      ...(env.AGENT_RUNTIME_QUEUE ? { queueName: env.AGENT_RUNTIME_QUEUE } : {}),
      ...(env.AGENT_RUNTIME_HEARTBEAT_MS !== undefined ? { heartbeatMs: env.AGENT_RUNTIME_HEARTBEAT_MS } : {}),
      ...(env.AGENT_RUNTIME_LEASE_MS !== undefined ? { leaseMs: env.AGENT_RUNTIME_LEASE_MS } : {}),
      ...(env.AGENT_RUNTIME_SWEEP_MS !== undefined ? { sweepEveryMs: env.AGENT_RUNTIME_SWEEP_MS } : {}),
      ...(env.AGENT_RUNTIME_TABLE_PREFIX ? { tablePrefix: env.AGENT_RUNTIME_TABLE_PREFIX } : {}),
      ...config,
      connectionString: env.DATABASE_URL,
      ...(args.concurrency !== undefined ? { concurrency: args.concurrency } : {}),
      log: say,
    })
  } catch (err) {
    say(errorMessage(err))
    if (err instanceof UsageError) {
      io.stderr.write(`${WORKER_BIN_USAGE}\n`)
      return 2
    }
    const code = (err as { code?: string }).code
    return code === 'config' || code === 'validation' ? 2 : 1
  }
  const failed = worker.done.then(
    () => 'graphile-worker stopped',
    (err: unknown) => `graphile-worker failed: ${errorMessage(err)}`,
  )
  const reason = await Promise.race([io.stopRequested, failed])
  say(`${reason}: stopping (running delegations are released to other workers)`)
  await worker.stop()
  const { running: _running, ...stats } = worker.stats()
  io.stdout.write(`${JSON.stringify({ workerId: worker.workerId, ...stats })}\n`)
  return reason.startsWith('graphile-worker failed') ? 1 : 0
}
