/** Small in-process backends for the runner tests; each records its calls. */
import type { AgentBackendContext, AgentBackendInput, AgentExecutionBackend, BackendStreamEvent } from '@tangle-network/agent-runtime-core'

/** One recorded backend call. */
export interface RecordedCall {
  input: AgentBackendInput
  ctx: AgentBackendContext
}

/** A backend whose events come from `script(call, callNumber)`; `calls` records every call. */
export function recordingBackend(
  script: (call: RecordedCall, callNumber: number) => AsyncIterable<BackendStreamEvent> | Iterable<BackendStreamEvent>,
  kind = 'test',
): AgentExecutionBackend & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = []
  return {
    kind,
    calls,
    async *stream(input, ctx) {
      const call = { input, ctx }
      calls.push(call)
      yield* script(call, calls.length)
    },
  }
}

/** A backend that answers `${name}:${n}` (n = its call count), optionally with a cost per call. */
export function echoBackend(name: string, costUsd?: number): AgentExecutionBackend & { calls: RecordedCall[] } {
  return recordingBackend(function* (_call, n) {
    yield { type: 'text_delta', text: `${name}:` }
    yield { type: 'text_delta', text: String(n) }
    if (costUsd !== undefined) yield { type: 'llm_call', model: `${name}-model`, tokensIn: 10, tokensOut: 4, costUsd, latencyMs: 7 }
  }, name)
}

/** Resolves when `signal` aborts; used by backends that hang until cancelled. */
export function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!signal) return
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => resolve(), { once: true })
  })
}
