/**
 * The product agent's profile: it mounts `agent-runtime-mcp` as a stdio MCP
 * server, so the coding agent inside the sandbox can hand long code changes to
 * a disciplined loop and poll for the result. The shape is the sandbox's
 * `AgentProfile.mcp` map (name → {transport, command, args, env}).
 */

/** One stdio MCP server entry of an agent profile. */
export interface StdioMcpServerEntry {
  transport: 'stdio'
  command: string
  args?: string[]
  env?: Record<string, string>
}

/** An agent profile with the delegation server mounted. */
export const productAgentProfile = {
  name: 'product-coder',
  metadata: { backendType: 'claude-code' },
  mcp: {
    'agent-runtime': {
      transport: 'stdio',
      command: 'agent-runtime-mcp',
      env: {
        // No TANGLE_API_KEY: delegations run in local git worktrees (sandbox-local).
        MCP_CODER_FANOUT_HARNESSES: 'claude-code',
        MCP_MAX_CONCURRENT_SANDBOXES: '2',
        // Keeps delegations across restarts; relative to the server's working directory.
        AGENT_RUNTIME_DELEGATION_DB: '.agent-runtime/delegations.db',
      },
    } satisfies StdioMcpServerEntry,
  },
}
