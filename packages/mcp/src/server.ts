/**
 * `createMcpServer`: the delegation tools on the official MCP SDK. Tools are
 * registered with `McpServer.registerTool` (so `tools/list` carries their
 * JSON Schemas, output schemas and annotations); `tools/call` is answered by
 * our own handler so bad arguments are a protocol error (−32602 naming the
 * field) and an unknown tool is −32601, while a delegate's failure is a tool
 * result with `isError: true`. One SDK server per connection; all share one
 * delegation manager and store.
 */
import { type Clock, ConfigError, errorMessage, systemClock } from '@tangle-network/agent-runtime-core'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import { CallToolRequestSchema, ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { CoderDelegate, DelegateCodeArgs, DelegateResearchArgs, ResearcherDelegate } from './contracts.js'
import { DelegationManager, type DelegationRunner } from './delegations.js'
import type { DelegationDispatcher } from './dispatch.js'
import { createHttpHandler, type HttpHandler, listenHttp } from './http.js'
import { InMemoryDelegationStore } from './store/memory.js'
import type { DelegationRecoveryMode, DelegationStore, FeedbackStore } from './store/types.js'
import { createToolHandlers, type ToolCallContext } from './tool-handlers.js'
import { DELEGATION_TOOL_SPECS, type DelegationToolSpec } from './tool-specs.js'

/** Options of {@link createMcpServer}. @experimental */
export interface McpServerOptions {
  /** Runs `delegate_code`; the tool is registered only when given. */
  coderDelegate?: CoderDelegate
  /** Runs `delegate_research`; the tool is registered only when given. */
  researcherDelegate?: ResearcherDelegate
  /** Where feedback goes; default the delegation store. */
  feedbackStore?: FeedbackStore
  /** Durable state; default in memory (a restart loses it). The caller closes a store it passed. */
  store?: DelegationStore
  /** Default `agent-runtime-mcp`. */
  serverName?: string
  /** Default `0.1.0`. */
  serverVersion?: string
  /** Delegations running at once; more wait `pending`. Default 4. */
  maxConcurrency?: number
  /** Delegations found `running` at startup: `fail` (default) or `rerun` once. */
  recover?: DelegationRecoveryMode
  /** Days terminal delegations are kept. Default 30. */
  retainDays?: number
  /** Clock (epoch ms). Default the system clock. */
  now?: Clock
  /** Streamable HTTP sessions unused this long are closed, in ms. Default 30 minutes. */
  httpSessionIdleMs?: number
  /** Longest `stop()` waits for aborted delegates to return, in ms. Default 10 000. */
  stopGraceMs?: number
  /** Lease of a delegation running in this process, in ms: another server on the same store recovers it only after the lease runs out unrenewed. Default 30 000. */
  leaseMs?: number
  /** How often a running delegation renews its lease, in ms. Default a third of `leaseMs`. */
  heartbeatMs?: number
  /** Diagnostics (never stdout). Default: dropped. */
  log?: (line: string) => void
  /** Scale-out: queue delegations on this dispatcher for workers elsewhere instead of running them here. The caller closes it. */
  dispatcher?: DelegationDispatcher
}

/** A tool as `tools/list` shows it. @experimental */
export interface McpToolDescriptor {
  name: string
  title: string
  description: string
  inputSchema: Record<string, unknown>
  outputSchema: Record<string, unknown>
  annotations: DelegationToolSpec['annotations']
}

/** Where {@link DelegationMcpServer.serve} listens: stdio (default), Streamable HTTP, or any SDK transport. @experimental */
export type ServeTarget = 'stdio' | { http: { port: number; host?: string; path?: string } } | Transport

/** What `serve` started. @experimental */
export interface ServeHandle {
  /** The MCP endpoint URL, for HTTP. */
  url?: string
}

/** The server {@link createMcpServer} returns. @experimental */
export interface DelegationMcpServer {
  /** The registered tools. */
  tools: McpToolDescriptor[]
  /** The delegation store in use. */
  store: DelegationStore
  /** Serves stdio (no argument), Streamable HTTP (`{http: {port, host}}`), or a given SDK transport. */
  serve(target?: ServeTarget): Promise<ServeHandle>
  /** A fetch-style Streamable HTTP handler (`Request` → `Response`) to mount in your own server. */
  handleHttpRequest: HttpHandler
  /** What this process holds right now: delegations running and queued, `delegation_status` calls waiting, open MCP connections. For health checks. */
  stats(): { running: number; queued: number; waiting: number; connections: number }
  /** Stops taking calls, aborts running delegations (their rows stay for the next start's recovery), closes connections. */
  stop(): Promise<void>
}

const STOPPED = -32099

function formatIssues(tool: string, error: z.ZodError): string {
  const parts = error.issues.map((issue) => {
    const path = issue.path.join('.')
    if (issue.code === 'unrecognized_keys') {
      const where = path ? ` in "${path}"` : ''
      return issue.keys.map((k) => `field "${path ? `${path}.` : ''}${k}": unknown field${where}; remove it`).join('; ')
    }
    return `field "${path || '(arguments)'}": ${issue.message}`
  })
  return `Invalid arguments for tool ${tool}: ${parts.join('; ')}`
}

function toolResult(structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured }
}

/**
 * Creates the delegation MCP server: `delegate_code` / `delegate_research`
 * (when their delegate is given), `delegate_feedback`, `delegation_status`
 * (with `waitMs`), `delegation_history` and `delegation_cancel`, fire-and-poll
 * over a durable {@link DelegationStore}.
 * @experimental
 * @example
 * const server = createMcpServer({ coderDelegate: createDefaultCoderDelegate({ sandboxClient }) })
 * await server.serve() // stdio
 */
export function createMcpServer(options: McpServerOptions = {}): DelegationMcpServer {
  if (options.maxConcurrency !== undefined && (!Number.isInteger(options.maxConcurrency) || options.maxConcurrency < 1)) {
    throw new ConfigError(`createMcpServer: maxConcurrency must be an integer >= 1, got ${String(options.maxConcurrency)}`)
  }
  for (const key of ['coderDelegate', 'researcherDelegate'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw new ConfigError(`createMcpServer: ${key} must be a function (args, ctx) => Promise<output>, got ${typeof options[key]}`)
    }
  }
  const now = options.now ?? systemClock
  const log = options.log ?? (() => {})
  const store = options.store ?? new InMemoryDelegationStore()
  const runners: Partial<Record<'coder' | 'researcher', DelegationRunner>> = {}
  const coder = options.coderDelegate
  const researcher = options.researcherDelegate
  if (coder) runners.coder = (args, ctx) => coder(args as unknown as DelegateCodeArgs, ctx)
  if (researcher) runners.researcher = (args, ctx) => researcher(args as unknown as DelegateResearchArgs, ctx)
  const manager = new DelegationManager({
    store,
    runners,
    maxConcurrency: options.maxConcurrency,
    recover: options.recover,
    retainDays: options.retainDays,
    stopGraceMs: options.stopGraceMs,
    leaseMs: options.leaseMs,
    heartbeatMs: options.heartbeatMs,
    now,
    onError: log,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  })
  const handlers = createToolHandlers({ manager, feedback: options.feedbackStore ?? store, now })
  const specs = DELEGATION_TOOL_SPECS.filter(
    (s) => (s.name !== 'delegate_code' || coder) && (s.name !== 'delegate_research' || researcher),
  )
  const tools: McpToolDescriptor[] = specs.map((s) => ({
    name: s.name,
    title: s.title,
    description: s.description,
    inputSchema: z.toJSONSchema(s.input, { io: 'input' }) as Record<string, unknown>,
    outputSchema: z.toJSONSchema(s.output, { io: 'output' }) as Record<string, unknown>,
    annotations: s.annotations,
  }))
  const connections = new Set<McpServer>()
  let closeHttp: (() => Promise<void>) | undefined

  function buildSdkServer(): McpServer {
    const sdk = new McpServer(
      { name: options.serverName ?? 'agent-runtime-mcp', version: options.serverVersion ?? '0.1.0' },
      { capabilities: { tools: {} } },
    )
    for (const spec of specs) {
      sdk.registerTool(
        spec.name,
        { title: spec.title, description: spec.description, inputSchema: spec.input, outputSchema: spec.output, annotations: spec.annotations },
        // Never called: tools/call is answered by the handler installed below.
        async () => ({ content: [] }),
      )
    }
    sdk.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
      if (manager.isStopped) throw new McpError(STOPPED, 'the delegation server is stopped; reconnect to a running instance')
      const name = request.params.name
      const spec = specs.find((s) => s.name === name)
      if (!spec) {
        throw new McpError(ErrorCode.MethodNotFound, `unknown tool ${JSON.stringify(name)}; this server has: ${specs.map((s) => s.name).join(', ')}`)
      }
      const parsed = spec.input.safeParse(request.params.arguments ?? {})
      if (!parsed.success) throw new McpError(ErrorCode.InvalidParams, formatIssues(name, parsed.error))
      const token = request.params._meta?.progressToken
      const call: ToolCallContext = { signal: extra.signal }
      if (token !== undefined) {
        call.progress = (p, count) => {
          extra
            .sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress: count, message: `${p.phase} (iteration ${p.iteration})` },
            })
            .catch((err) => log(`progress notification not sent: ${errorMessage(err)}`))
        }
      }
      try {
        const structured = await handlers[spec.name](parsed.data, call)
        if (spec.name === 'delegation_status' && structured.status === 'failed') {
          // A delegate that threw (or died with the process) surfaces as a tool error with its message.
          const error = structured.error as { message: string; kind: string }
          const result = toolResult(structured)
          result.content.unshift({ type: 'text', text: `delegation ${String(structured.taskId)} failed (${error.kind}): ${error.message}` })
          return { ...result, isError: true }
        }
        return toolResult(structured)
      } catch (err) {
        return { content: [{ type: 'text', text: errorMessage(err) }], isError: true }
      }
    })
    return sdk
  }

  async function connect(transport: Transport): Promise<McpServer> {
    await manager.start()
    const sdk = buildSdkServer()
    connections.add(sdk)
    sdk.server.onclose = () => connections.delete(sdk)
    await sdk.connect(transport)
    return sdk
  }

  const handleHttpRequest = createHttpHandler({
    connect,
    isStopped: () => manager.isStopped,
    log,
    now,
    sessionIdleMs: options.httpSessionIdleMs ?? 30 * 60_000,
  })

  return {
    tools,
    store,
    handleHttpRequest,
    stats: () => ({ ...manager.stats(), connections: connections.size }),
    async serve(target = 'stdio') {
      if (manager.isStopped) throw new ConfigError('createMcpServer: this server was stopped; create a new one to serve again')
      if (target === 'stdio') {
        const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js')
        const transport = new StdioServerTransport()
        await connect(transport)
        replyToUnreadableMessages(transport, log)
        return {}
      }
      if (typeof target === 'object' && 'http' in target) {
        await manager.start()
        const http = await listenHttp(handleHttpRequest, target.http)
        closeHttp = http.close
        return { url: http.url }
      }
      await connect(target as Transport)
      // A caller's own stdio-like transport gets the same answers to unreadable lines.
      replyToUnreadableMessages(target as Transport, log)
      return {}
    },
    async stop() {
      await manager.stop()
      await closeHttp?.()
      await Promise.allSettled([...connections].map((c) => c.close()))
      connections.clear()
    },
  }
}

/**
 * The SDK's stdio transport drops a line it cannot read; JSON-RPC wants an
 * answer with a null id: −32700 for bytes that are not JSON, −32600 for JSON
 * that is not a JSON-RPC message.
 */
function replyToUnreadableMessages(transport: Transport, log: (line: string) => void): void {
  const previous = transport.onerror
  transport.onerror = (err: Error) => {
    const code = err instanceof SyntaxError ? ErrorCode.ParseError : Array.isArray((err as { issues?: unknown }).issues) ? ErrorCode.InvalidRequest : undefined
    if (code !== undefined) {
      const message = code === ErrorCode.ParseError ? `Parse error: ${err.message}` : 'Invalid Request: not a JSON-RPC 2.0 message'
      transport.send({ jsonrpc: '2.0', id: null, error: { code, message } } as never).catch(() => {})
    }
    log(`mcp transport: ${errorMessage(err)}`)
    previous?.(err)
  }
}
