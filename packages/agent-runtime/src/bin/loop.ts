#!/usr/bin/env node
// agent-runtime-loop: runs a delegated loop from cron. Implemented by a later issue.
export {}
