/** Serves the console over Node's HTTP server (used by `agent-runtime-loop console`). Node only. */
import type { AddressInfo } from 'node:net'
import { ValidationError } from '@tangle-network/agent-runtime-core'
import { createAdaptorServer } from '@hono/node-server'
import { type ConsoleHandlerOptions, createConsoleHandler } from './handler.js'

/** Default port of the console. @experimental */
export const DEFAULT_CONSOLE_PORT = 4319

/** Options of {@link startConsoleServer}. @experimental */
export interface ConsoleServerOptions extends ConsoleHandlerOptions {
  /** Default `127.0.0.1`. Any other address needs `token`. */
  host?: string
  /** Default 4319; 0 picks a free port. */
  port?: number
}

/** A listening console. @experimental */
export interface ConsoleServer {
  url: string
  port: number
  close(): Promise<void>
}

const LOOPBACK_BINDS = new Set(['127.0.0.1', 'localhost', '::1'])

/**
 * Starts the console on `host:port` (default 127.0.0.1:4319). Binding any
 * other address without a token throws `ValidationError`.
 * @experimental
 * @example
 * const server = await startConsoleServer({ stores, port: 4319 })
 * console.error(`console at ${server.url}`)
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const host = options.host ?? '127.0.0.1'
  if (!LOOPBACK_BINDS.has(host) && !options.token) {
    throw new ValidationError(`console: binding ${host} needs a token (--token or AGENT_RUNTIME_CONSOLE_TOKEN); only 127.0.0.1 runs without one.`)
  }
  const handler = createConsoleHandler(options)
  const server = createAdaptorServer({ fetch: handler, hostname: host })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_CONSOLE_PORT, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const shown = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Live SSE streams stay open until their client goes; end them so close() returns.
        ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
