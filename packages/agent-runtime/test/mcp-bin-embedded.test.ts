import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initGitRepo } from '@tangle-network/agent-runtime/sandbox-local'
import { afterAll, describe, expect, it } from 'vitest'
import { cleanEnv, startBin } from './mcp-bin-helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'i11a-mcp-embedded-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const STAND_IN = join(import.meta.dirname, 'fixtures', 'bin')

describe('agent-runtime-mcp embedded default (no key): sandbox-local worktrees + CLI agents through the command harness', () => {
  it('a delegation runs `claude -p` in a git worktree with only its key allowlisted, completes with the patch, and exports its spans over OTLP', { timeout: 180_000 }, async () => {
    // A loopback OTLP/HTTP receiver: the bin exports each delegation's loop spans when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    const bodies: string[] = []
    const receiver = createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(body)
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()))
    const port = (receiver.address() as { port: number }).port
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const { dir: repoRoot } = await initGitRepo(join(dir, 'repo'), {
      'cart.mjs': 'export function total(items) {\n  return items.reduce((sum, item) => sum + item.price, 0)\n}\n',
      'test.mjs': "import { total } from './cart.mjs'\nif (total([{ price: 2, quantity: 3 }]) !== 6) process.exitCode = 1\n",
    })
    const env = cleanEnv({
      PATH: `${STAND_IN}:${process.env.PATH}`,
      MCP_CODER_FANOUT_HARNESSES: 'claude-code',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      UNRELATED_SECRET: 'must-not-leak',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      TRACE_ID: traceId,
      PARENT_SPAN_ID: '00f067aa0ba902b7',
    })
    const s = await startBin([], { cwd: dir, env })
    try {
      expect(s.stderr()).toContain('placement → local (sandbox-local git worktrees; CLI agents claude-code)')
      expect(s.stderr()).toContain(`store sqlite:${join(dir, '.agent-runtime', 'delegations.db')}`)
      const call = await s.client.callTool({ name: 'delegate_code', arguments: { goal: 'make test.mjs pass', repoRoot, config: { testCmd: 'node test.mjs' } } })
      const taskId = (call.structuredContent as { taskId: string }).taskId
      let st: Record<string, any> = {}
      do {
        st = (await s.client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } })).structuredContent as Record<string, any>
      } while (st.status === 'pending' || st.status === 'running')
      expect(st.error).toBeUndefined()
      expect(st.status).toBe('completed')
      const patch: string = st.result.output.output.patch
      expect(patch).toContain('+  return items.reduce((sum, item) => sum + item.price * item.quantity, 0)')
      expect(patch).toContain('+ANTHROPIC_API_KEY=visible')
      expect(patch).toContain('+UNRELATED_SECRET=hidden')
      expect(st.result.output.output.testResult.passed).toBe(true)
      while (!bodies.some((b) => b.includes('"loop.iteration"'))) await new Promise((r) => setTimeout(r, 50))
      const exported = bodies.join('\n')
      expect(exported).toContain(`"traceId":"${traceId}"`)
      expect(exported).toContain('"parentSpanId":"00f067aa0ba902b7"')
    } finally {
      await s.client.close()
      receiver.close()
    }
  })
})
