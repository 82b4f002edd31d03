#!/usr/bin/env node
// agent-runtime-mcp: the delegation MCP server over stdio. The server itself
// ships with the MCP package's issue; until then the bin says so and exits 2
// (configuration error) instead of pretending to serve.
process.stderr.write(
  'agent-runtime-mcp: the delegation MCP server is not part of this release yet; see packages/mcp/README.md.\n',
)
process.exitCode = 2
