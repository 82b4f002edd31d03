import { expect } from 'vitest'
import type { AgentBackendContext, AgentExecutionBackend, AgentTaskSpec, BackendStreamEvent } from '@tangle-network/agent-runtime-core'

export const task: AgentTaskSpec = { id: 'task-1', intent: 'answer' }

export function ctx(extra: Partial<AgentBackendContext> = {}): AgentBackendContext {
  const at = '2025-01-01T00:00:00.000Z'
  return { task, session: { id: 'sess-1', backend: 'tcloud', status: 'active', createdAt: at, updatedAt: at }, ...extra }
}

/** Drains a backend stream, dropping `latencyMs` (wall-clock) so events compare exactly. */
export async function collect(backend: AgentExecutionBackend, message = 'hi', c: AgentBackendContext = ctx()): Promise<BackendStreamEvent[]> {
  const out: BackendStreamEvent[] = []
  for await (const ev of backend.stream({ task, message }, c)) {
    if (ev.type === 'llm_call') {
      const { latencyMs, ...rest } = ev
      expect(typeof latencyMs).toBe('number')
      out.push(rest)
    } else out.push(ev)
  }
  return out
}

/** Resolves to the error a promise rejects with, failing when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

/** Records requested sleeps and returns at once, so retry tests run fast. */
export function recordingSleep(): { sleeps: number[]; sleep: (ms: number, signal?: AbortSignal) => Promise<void> } {
  const sleeps: number[] = []
  return {
    sleeps,
    sleep: async (ms, signal) => {
      sleeps.push(ms)
      if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' })
    },
  }
}
