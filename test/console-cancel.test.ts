/**
 * Cancelling from the loop console stops a delegation another process runs:
 * the console writes `cancelled` through its own connection to the SQLite
 * store; the MCP server's next progress write is refused and aborts the delegate.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConsoleHandler } from '@tangle-network/agent-runtime-cli'
import { createMcpServer, openDelegationStore } from '@tangle-network/agent-runtime-mcp'
import { afterAll, describe, expect, it } from 'vitest'
import { connectInMemory, controllableDelegate, structured } from '../packages/mcp/test/helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'console-cancel-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('console cancel reaches a delegation running in another process', () => {
  it('the delegate is aborted at its next progress report and the record stays cancelled', async () => {
    const env = { AGENT_RUNTIME_DELEGATION_DB: join(dir, 'delegations.db') }
    const serverSide = await openDelegationStore({ env, cwd: dir })
    const consoleSide = await openDelegationStore({ env, cwd: dir })
    const ctl = controllableDelegate()
    const server = createMcpServer({ store: serverSide.store, coderDelegate: ctl.delegate })
    const client = await connectInMemory(server)
    try {
      const { taskId } = structured(await client.callTool({ name: 'delegate_code', arguments: { goal: 'fix it', repoRoot: '/repo' } }))
      const call = await ctl.next()
      const aborted = new Promise<string>((resolve) => call.ctx.signal.addEventListener('abort', () => resolve(String(call.ctx.signal.reason)), { once: true }))
      call.ctx.report({ iteration: 1, phase: 'implement' })
      // Wait (bounded by the status wait) until the first report is stored.
      let status = structured(await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 0 } }))
      while (!status.progress) status = structured(await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 200 } }))

      const handler = createConsoleHandler({ stores: { delegations: consoleSide.store } })
      const page = await (await handler(new Request(`http://127.0.0.1:4319/delegations/${taskId}/cancel`))).text()
      const csrf = /name="csrf" value="([0-9a-f]+)"/.exec(page)![1]!
      const post = await handler(new Request(`http://127.0.0.1:4319/delegations/${taskId}/cancel`, { method: 'POST', body: new URLSearchParams({ csrf }) }))
      expect(post.status).toBe(303)
      expect(call.ctx.signal.aborted).toBe(false)

      call.ctx.report({ iteration: 2, phase: 'review' })
      const reason = await Promise.race([aborted, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('the delegate was never aborted')), 30_000))])
      expect(reason).toContain(`delegation ${taskId} was cancelled or recovered outside this process`)
      const after = await consoleSide.store.get(taskId)
      expect(after?.status).toBe('cancelled')
      expect(after?.progress).toEqual({ iteration: 1, phase: 'implement' })
    } finally {
      await client.close()
      await server.stop()
      await serverSide.store.close()
      await consoleSide.store.close()
    }
  }, 60_000)
})
