/** Test helpers: a delegate the test drives by hand, and an SDK client wired to a server in memory. */
import type { CoderDelegate, DelegateCodeArgs, DelegateContext, DelegationMcpServer } from '@tangle-network/agent-runtime-mcp'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'

/** One call of a {@link controllableDelegate}. */
export interface DelegateCall {
  args: DelegateCodeArgs
  ctx: DelegateContext
  resolve(output: unknown): void
  reject(err: Error): void
}

/**
 * A coder delegate that waits until the test settles each call; it rejects
 * when its signal aborts, like a real loop does.
 */
export function controllableDelegate() {
  const calls: DelegateCall[] = []
  const waiting: ((c: DelegateCall) => void)[] = []
  const delegate: CoderDelegate = (args, ctx) =>
    new Promise((resolve, reject) => {
      const call: DelegateCall = { args, ctx, resolve: resolve as (o: unknown) => void, reject }
      ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })
      calls.push(call)
      waiting.shift()?.(call)
    })
  let seen = 0
  return {
    delegate,
    calls,
    /** The next call not yet handed out (waits for it to start). */
    next(): Promise<DelegateCall> {
      const i = seen++
      if (calls[i]) return Promise.resolve(calls[i]!)
      return new Promise((resolve) => waiting.push(resolve))
    },
  }
}

/** An SDK client connected to `server` through the SDK's in-memory transport pair. */
export async function connectInMemory(server: DelegationMcpServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await server.serve(serverSide)
  const client = new Client({ name: 'i11a-test', version: '1.0.0' })
  await client.connect(clientSide)
  return client
}

/** The structured content of a tool result, typed loosely for assertions. */
export function structured(result: unknown): Record<string, any> {
  return (result as { structuredContent: Record<string, any> }).structuredContent
}

/** A coder output shaped like the coder profile's. */
export function coderOutput(patch = 'diff --git a/x b/x\n'): Record<string, unknown> {
  return {
    winnerIndex: 0,
    output: {
      branch: 'b',
      patch,
      testResult: { passed: true, output: '' },
      typecheckResult: { passed: true, output: '' },
      diffStats: { filesChanged: 1, insertions: 1, deletions: 0 },
    },
    score: 1,
    candidates: 1,
  }
}
