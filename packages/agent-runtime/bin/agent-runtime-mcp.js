#!/usr/bin/env node
// Committed shim so the bin exists before the first build; the server itself is dist/bin/mcp.js.
import "../dist/bin/mcp.js"
