/**
 * `pnpm demo -- --console`: records the demo's loop into a SQLite trace store
 * as it runs and serves the loop console over it on 127.0.0.1 (port 4319, or
 * `--port N`) until Ctrl-C, so the fan-out's tree, verdicts and failed checks
 * can be read in a browser.
 */
import path from 'node:path'
import { openConsoleStores, startConsoleServer } from '@tangle-network/agent-runtime/cli'
import { createTraceRecorder } from '@tangle-network/agent-runtime/agent'
import type { LoopTraceEmitter } from '@tangle-network/agent-runtime/loops'

/** A console over the demo's temp directory, and the emitter that feeds it. */
export async function startDemoConsole(dir: string, port: number, print: (line: string) => void) {
  const opened = await openConsoleStores({ cwd: dir, env: { AGENT_RUNTIME_DELEGATION_DB: path.join(dir, '.agent-runtime', 'delegations.db') } })
  const server = await startConsoleServer({ stores: opened.stores, port })
  const traces = opened.stores.traces!
  const runId = `coder-loop-demo:${Date.now().toString(36)}`
  await traces.beginRun({ runId, agentId: 'coder-loop demo', variantId: 'fan-out ×3', startedAt: Date.now() })
  const recorder = createTraceRecorder(traces, runId)
  print(`console: ${server.url}/runs/${encodeURIComponent(runId)} (live while the loop runs; Ctrl-C stops it)`)
  return {
    /** Tees loop trace events into the console's trace store. */
    tee(inner: LoopTraceEmitter): LoopTraceEmitter {
      return {
        emit(event) {
          recorder.loop.emit(event)
          return inner.emit(event)
        },
      }
    },
    /** Ends the run row. */
    async record(outcome: { ok: boolean; costUsd: number }) {
      await recorder.flush()
      await traces.endRun(runId, { status: outcome.ok ? 'completed' : 'failed', endedAt: Date.now(), costUsd: outcome.costUsd })
    },
    /** Serves until SIGINT/SIGTERM, then closes the server and the stores. */
    async serveUntilStopped() {
      print(`\nconsole still serving at ${server.url} — Ctrl-C to stop`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve())
        process.once('SIGTERM', () => resolve())
      })
      await server.close()
      await opened.close()
    },
  }
}
