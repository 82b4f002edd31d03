/** Records `agent-runtime-loop --mode M` runs as trace-store run rows, so the console lists them beside pattern runs. Node only. */
import { randomUUID } from 'node:crypto'
import type { TraceStore } from '@tangle-network/agent-runtime-core/agent'

/**
 * Wraps one delegated-mode run: a run row (`agentId: mode:<mode>`) begun
 * before it and ended with its outcome, read from the JSON result the
 * runner prints. Trace writes never change the run's exit code.
 * @experimental
 * @example
 * const code = await recordModeRun(traces, 'research', Date.now, (capture) => runLoopRunnerCli(argv, { stdout: capture(process.stdout), stderr: process.stderr }))
 */
export async function recordModeRun(
  traces: TraceStore | undefined,
  mode: string,
  clock: () => number,
  run: (capture: (sink: { write(s: string): unknown }) => { write(s: string): unknown }) => Promise<number>,
): Promise<number> {
  if (!traces) return run((sink) => sink)
  const runId = `mode:${mode}:${clock().toString(36)}-${randomUUID().slice(0, 6)}`
  const begun = await traces
    .beginRun({ runId, agentId: `mode:${mode}`, startedAt: clock() })
    .then(() => true)
    .catch(() => false)
  let printed = ''
  const code = await run((sink) => ({
    write(s) {
      printed += s
      return sink.write(s)
    },
  }))
  if (!begun) return code
  let result: { ok?: unknown; error?: unknown; decision?: unknown; budget?: unknown; durationMs?: unknown } = {}
  try {
    result = JSON.parse(printed)
  } catch {}
  const error = typeof result.error === 'string' ? result.error : code === 0 ? undefined : `exit ${code}`
  await traces
    .endRun(runId, {
      status: code === 0 ? 'completed' : 'failed',
      endedAt: clock(),
      output: { exitCode: code, ...(result.decision !== undefined ? { decision: result.decision } : {}), ...(result.budget !== undefined ? { budget: result.budget } : {}) },
      ...(error ? { error } : {}),
    })
    .catch(() => undefined)
  return code
}
