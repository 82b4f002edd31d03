/** `agent-runtime-loop console`, and the trace store `run` records into. Node only. */
import { resolve } from 'node:path'
import { ValidationError, safeJson } from '@tangle-network/agent-runtime-core'
import type { LoopCliIo } from '../bin.js'

import { DEFAULT_TRACE_DB, type OpenedTraceStore, openConsoleStores, openTraceStore } from './open.js'
import { DEFAULT_CONSOLE_PORT, startConsoleServer } from './serve.js'

/** Environment variable the console reads its token from when `--token` is absent. @experimental */
export const CONSOLE_TOKEN_ENV = 'AGENT_RUNTIME_CONSOLE_TOKEN'

type Args = { positional: string[]; flags: Record<string, string | boolean> }
const flag = (a: Args, k: string): string | undefined => (typeof a.flags[k] === 'string' ? (a.flags[k] as string) : undefined)

/**
 * Opens the trace store `agent-runtime-loop run` records into
 * (`DATABASE_URL`, else `AGENT_RUNTIME_TRACE_DB` or `.agent-runtime/traces.db`
 * under the repository); undefined when it cannot be opened, so tracing never
 * stops a run.
 * @experimental
 * @example
 * const traces = await openRunTraces(process.cwd(), process.env)
 */
export async function openRunTraces(root: string, env: Record<string, string | undefined>): Promise<OpenedTraceStore | undefined> {
  const url = env.DATABASE_URL?.trim()
  return openTraceStore(url || resolve(root, env.AGENT_RUNTIME_TRACE_DB?.trim() || DEFAULT_TRACE_DB)).catch(() => undefined)
}

/**
 * `agent-runtime-loop console [--port 4319] [--host 127.0.0.1] [--token T] [--registry path] [--workspace ID]`:
 * serves the console until the signal aborts (Ctrl-C). Prints
 * `{"url": …, "stores": …}` on stdout once listening; exit 0 after a clean stop.
 * @experimental
 * @example
 * const code = await consoleCommand({ positional: ['console'], flags: { port: '4319' } }, io)
 */
export async function consoleCommand(a: Args, io: LoopCliIo): Promise<number> {
  const rawPort = flag(a, 'port') ?? String(DEFAULT_CONSOLE_PORT)
  const port = Number(rawPort)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError(`--port must be an integer 0..65535 (0 picks a free one), got '${rawPort}'`)
  const host = flag(a, 'host') ?? '127.0.0.1'
  const token = flag(a, 'token') ?? io.env[CONSOLE_TOKEN_ENV]?.trim() ?? undefined
  const registry = flag(a, 'registry')
  const workspace = flag(a, 'workspace')
  const opened = await openConsoleStores({ cwd: io.cwd, env: io.env, ...(registry ? { registry } : {}), ...(workspace ? { workspace } : {}) })
  try {
    const server = await startConsoleServer({ stores: opened.stores, host, port, ...(token ? { token } : {}) })
    io.stdout.write(safeJson({ url: server.url, host, port: server.port, stores: opened.describe, token: token ? 'required' : 'none' }))
    io.stderr.write(`console at ${server.url} (${opened.describe}); Ctrl-C stops\n`)
    await new Promise<void>((done) => {
      if (!io.signal) return
      if (io.signal.aborted) done()
      else io.signal.addEventListener('abort', () => done(), { once: true })
    })
    await server.close()
    io.stderr.write('console stopped\n')
    return 0
  } finally {
    await opened.close()
  }
}
