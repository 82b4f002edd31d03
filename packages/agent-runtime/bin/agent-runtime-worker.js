#!/usr/bin/env node
// Committed shim so the bin exists before the first build; the worker itself is dist/bin/worker.js.
import "../dist/bin/worker.js"
