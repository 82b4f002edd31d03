import { createMcpServer, mcpToolsForRuntimeMcp, mcpToolsForRuntimeMcpSubset } from '@tangle-network/agent-runtime-mcp'
import { describe, expect, it } from 'vitest'
import { connectInMemory } from './helpers.js'

describe('mcpToolsForRuntimeMcp', () => {
  it('projects all six tools into OpenAI tools[] with the schemas tools/list serves', async () => {
    const tools = mcpToolsForRuntimeMcp()
    expect(tools.map((t) => t.function.name)).toEqual([
      'delegate_code',
      'delegate_research',
      'delegate_feedback',
      'delegation_status',
      'delegation_history',
      'delegation_cancel',
    ])
    for (const t of tools) {
      expect(t.type).toBe('function')
      expect(t.function.description.length).toBeGreaterThan(20)
      expect(t.function.parameters).toMatchObject({ type: 'object', additionalProperties: false })
      expect(t.function.parameters).not.toHaveProperty('$schema')
    }
    const code = tools[0]!.function.parameters as { required: string[]; properties: Record<string, unknown> }
    expect(code.required).toEqual(['goal', 'repoRoot'])
    const server = createMcpServer({ coderDelegate: async () => ({}) as never, researcherDelegate: async () => ({}) })
    try {
      const listed = (await (await connectInMemory(server)).listTools()).tools
      for (const t of tools) {
        const fromServer = listed.find((l) => l.name === t.function.name)!
        expect(fromServer.inputSchema).toMatchObject(t.function.parameters)
      }
    } finally {
      await server.stop()
    }
  })

  it('the subset picks the named tools in order and refuses an unknown name', () => {
    expect(mcpToolsForRuntimeMcpSubset(['delegation_status', 'delegate_code']).map((t) => t.function.name)).toEqual(['delegation_status', 'delegate_code'])
    expect(() => mcpToolsForRuntimeMcpSubset(['delegate_everything' as never])).toThrow(/unknown tool "delegate_everything".*delegate_code/)
  })
})
