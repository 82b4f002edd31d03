#!/usr/bin/env node
// agent-runtime-mcp: the delegation MCP server over stdio. Implemented by a later issue.
export {}
