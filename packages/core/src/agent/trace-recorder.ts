import type { ChatStreamEvent } from '../chat/types.js'
import type { AgentRuntimeEvent, RuntimeStreamEvent } from '../contracts/events.js'
import type { LoopTraceEmitter, LoopTraceEvent } from '../contracts/loop.js'
import { type Clock, systemClock } from '../util/clock.js'
import type { TraceStore } from './trace-store.js'
import type { AgentEventEmitter } from './types.js'

/** Writes the runtime's own event types into a {@link TraceStore} run, in arrival order. @experimental */
export interface TraceRecorder {
  /** A task event (`runAgentTaskStream` / `runAgentTask`). */
  task(event: RuntimeStreamEvent | AgentRuntimeEvent): Promise<void>
  /** A chat-turn event (`handleChatTurn`'s `onEvent`). */
  chat(event: ChatStreamEvent): Promise<void>
  /** A loop trace sink (`runLoop`'s `ctx.traceEmitter`). */
  readonly loop: LoopTraceEmitter
  /** Resolves once every write so far is stored; rejects with the first write error. */
  flush(): Promise<void>
}

function plain(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : value === undefined ? {} : { data: value }
}

/**
 * Records task, chat and loop events of one run into a trace store, each
 * tagged with its kind. Writes are queued so `seq` follows arrival; the
 * loop sink never throws into the loop (errors surface from `flush()`).
 * @experimental
 * @example
 * const rec = createTraceRecorder(traces, runId)
 * for await (const e of runAgentTaskStream({ task, backend })) await rec.task(e)
 * await runLoop({ ...options, ctx: { ...ctx, traceEmitter: rec.loop } }); await rec.flush()
 */
export function createTraceRecorder(store: TraceStore, runId: string, options: { clock?: Clock } = {}): TraceRecorder {
  const clock = options.clock ?? systemClock
  let chain: Promise<void> = Promise.resolve()
  let firstError: unknown
  const write = (kind: 'task' | 'chat' | 'loop', type: string, timestamp: number, payload: Record<string, unknown>) => {
    chain = chain.then(() => store.append(runId, [{ kind, type, timestamp, payload }])).catch((err) => {
      firstError ??= err
    })
    return chain
  }
  return {
    task(event) {
      const { type, timestamp, task: _task, session: _session, ...rest } = event as RuntimeStreamEvent & Record<string, unknown>
      const at = typeof timestamp === 'string' && !Number.isNaN(Date.parse(timestamp)) ? Date.parse(timestamp) : clock()
      return write('task', type, at, plain(rest))
    },
    chat(event) {
      return write('chat', event.type, clock(), plain(event.data))
    },
    loop: {
      emit(event: LoopTraceEvent) {
        void write('loop', event.kind, event.timestamp, plain(event.payload))
      },
    },
    async flush() {
      await chain
      if (firstError !== undefined) {
        const err = firstError
        firstError = undefined
        throw err
      }
    },
  }
}

/**
 * Forwards loop trace events into an agent run's emitter (inside
 * `runtime.act`), so a loop the agent runs lands in the run's traces.
 * @experimental
 * @example
 * act: (persona, ctx) => { const out = runLoop({ ...options, ctx: { ...loopCtx, traceEmitter: loopEventsToEmitter(ctx.emitter) } }); … }
 */
export function loopEventsToEmitter(emitter: AgentEventEmitter): LoopTraceEmitter {
  return { emit: (event) => emitter.emit({ kind: 'loop', type: event.kind, payload: plain(event.payload) }) }
}
