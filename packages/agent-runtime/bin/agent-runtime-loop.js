#!/usr/bin/env node
// Committed shim so the bin exists before the first build; the CLI itself is dist/bin/loop.js.
import "../dist/bin/loop.js"
