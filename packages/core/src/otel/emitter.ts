import type { LoopTraceEmitter, LoopTraceEvent } from '../contracts/loop.js'
import { type IdSource, randomUuid } from '../util/clock.js'
import type { OtelEnv } from './env.js'
import type { OtelExporter } from './exporter.js'
import { type ResolvedTraceParent, resolveTraceParent } from './propagation.js'
import { type OtelSpan, buildLoopOtelSpans, normalizeTraceId } from './spans.js'

/** Options of {@link createPropagatingTraceEmitter}. @experimental */
export interface PropagatingTraceEmitterOptions {
  /** Where finished loops' spans go; undefined (OTEL off) makes the emitter a pass-through. */
  exporter: OtelExporter | undefined
  /** Trace to join; default: active OTEL span, then `TRACE_ID`/`PARENT_SPAN_ID`, then `TRACEPARENT`, else a new trace per loop. */
  traceId?: string
  parentSpanId?: string
  /** Default `process.env` where it exists. */
  env?: OtelEnv
  /** Join the active span of a registered OpenTelemetry SDK. Default true. */
  useActiveContext?: boolean
  /**
   * Skip exporting loops whose parent was explicitly not sampled (as OTEL's
   * parent-based sampling does); their events are still forwarded. Default true.
   */
  honorParentSampling?: boolean
  /** `tangle.subject.key` of every loop span. */
  subjectKey?: string
  /** Flush the exporter when a loop ends, so short-lived processes lose nothing. Default true. */
  flushOnEnd?: boolean
  /** Also receives every event (for example a collector for `renderLoopTrace`). */
  forward?: LoopTraceEmitter
  /** Told each finished loop's spans before they are exported. */
  onSpans?: (spans: OtelSpan[], runId: string) => void
  /** Source of new trace ids. Default random UUIDs. */
  newTraceId?: IdSource
  /** Most loops buffered at once; the oldest unfinished one is dropped beyond it. Default 256. */
  maxBufferedRuns?: number
}

/** A trace emitter that exports each loop's span tree when the loop ends. @experimental */
export interface PropagatingTraceEmitter extends LoopTraceEmitter {
  /** The trace a run joined (known from its first event). */
  traceOf(runId: string): ResolvedTraceParent | undefined
  /** Flushes the exporter. Never rejects. */
  flush(): Promise<void>
}

/**
 * Creates a {@link LoopTraceEmitter} that buffers each run's events and, at
 * `loop.ended`, builds the span tree with {@link buildLoopOtelSpans} and hands
 * it to the exporter, then drops the buffer. The parent is resolved when a run
 * starts, so a loop started inside an application span joins it. Never throws.
 * @experimental
 * @example
 * const traceEmitter = createPropagatingTraceEmitter({ exporter: createOtelExporter() })
 * await runLoop({ ...options, ctx: { sandboxClient, traceEmitter } })
 */
export function createPropagatingTraceEmitter(options: PropagatingTraceEmitterOptions): PropagatingTraceEmitter {
  const { exporter } = options
  const newTraceId = options.newTraceId ?? randomUuid
  const maxRuns = Math.max(1, options.maxBufferedRuns ?? 256)
  const runs = new Map<string, { parent: ResolvedTraceParent; events: LoopTraceEvent[] }>()
  const parents = new Map<string, ResolvedTraceParent>()

  // Precedence: the emitter's own options, then the loop's ctx (carried on
  // loop.started), then the active OTEL span and the environment.
  const resolve = (event: LoopTraceEvent): ResolvedTraceParent => {
    const fromLoop = event.kind === 'loop.started' ? event.payload : undefined
    const traceId = options.traceId ?? fromLoop?.traceId
    const found = resolveTraceParent({
      traceId,
      parentSpanId: options.traceId ? options.parentSpanId : (fromLoop?.parentSpanId ?? options.parentSpanId),
      env: options.env,
      useActiveContext: options.useActiveContext,
    })
    return found ?? { traceId: normalizeTraceId(newTraceId()), source: 'explicit' }
  }

  const forward = (event: LoopTraceEvent): void => {
    try {
      const pending = options.forward?.emit(event)
      if (pending && typeof pending.then === 'function') pending.then(undefined, () => undefined)
    } catch {
      // a failing forward sink never breaks the loop
    }
  }

  return {
    emit(event) {
      forward(event)
      if (!exporter) return
      try {
        let run = runs.get(event.runId)
        if (!run) {
          if (runs.size >= maxRuns) runs.delete(runs.keys().next().value as string)
          run = { parent: resolve(event), events: [] }
          runs.set(event.runId, run)
          parents.set(event.runId, run.parent)
          if (parents.size > maxRuns) parents.delete(parents.keys().next().value as string)
        }
        run.events.push(event)
        if (event.kind !== 'loop.ended') return
        runs.delete(event.runId)
        if (run.parent.sampled === false && options.honorParentSampling !== false) return
        const spans = buildLoopOtelSpans(run.events, run.parent.traceId, run.parent.parentSpanId, { subjectKey: options.subjectKey })
        options.onSpans?.(spans, event.runId)
        exporter.exportSpans(spans)
        if (options.flushOnEnd !== false) return exporter.flush()
      } catch {
        // telemetry is best-effort
      }
    },
    traceOf: (runId) => parents.get(runId),
    flush: async () => {
      await exporter?.flush()
    },
  }
}
