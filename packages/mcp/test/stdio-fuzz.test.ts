import { PassThrough } from 'node:stream'
import { createMcpServer } from '@tangle-network/agent-runtime-mcp'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

/** A server on the SDK's stdio transport over in-process pipes; `send` writes a raw line and collects what comes back. */
async function stdioServer() {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const server = createMcpServer()
  await server.serve(new StdioServerTransport(stdin, stdout))
  let buffer = ''
  const lines: string[] = []
  const waiters: (() => void)[] = []
  stdout.on('data', (d) => {
    buffer += d
    let nl = buffer.indexOf('\n')
    while (nl >= 0) {
      lines.push(buffer.slice(0, nl))
      buffer = buffer.slice(nl + 1)
      nl = buffer.indexOf('\n')
    }
    for (const w of waiters.splice(0)) w()
  })
  const next = async (n: number) => {
    while (lines.length < n) await new Promise<void>((r) => waiters.push(r))
    return JSON.parse(lines[n - 1]!)
  }
  return { server, stdin, lines, next }
}

describe('stdio robustness (property)', () => {
  it('any line that is not a JSON-RPC message gets −32700 or −32600 with a null id, and the server keeps answering', async () => {
    const s = await stdioServer()
    let expected = 0
    s.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } })}\n`)
    expect(await s.next(++expected)).toMatchObject({ id: 'init', result: { serverInfo: { name: 'agent-runtime-mcp' } } })
    const junk = fc.oneof(
      fc.string({ maxLength: 40 }).filter((t) => !t.includes('\n') && t.trim() !== ''),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)).filter((t) => !t.includes('jsonrpc')),
    )
    await fc.assert(
      fc.asyncProperty(junk, async (line) => {
        s.stdin.write(`${line}\n`)
        const reply = await s.next(++expected)
        expect(reply.id).toBeNull()
        expect([-32700, -32600]).toContain(reply.error.code)
        s.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: expected, method: 'ping' })}\n`)
        expect(await s.next(++expected)).toEqual({ jsonrpc: '2.0', id: expected - 1, result: {} })
      }),
      { numRuns: 150 },
    )
    await s.server.stop()
  })
})
