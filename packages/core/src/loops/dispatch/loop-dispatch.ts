import type { DefaultVerdict, LoopExecCtx, LoopResult, LoopSandboxClient, LoopTraceEmitter, LoopTraceEvent } from '../../contracts/loop.js'
import { ValidationError, createAbortError } from '../../errors.js'
import type { RunLoopOptions } from '../kernel/options.js'
import { runLoop } from '../kernel/run-loop.js'
import type {
  CampaignDispatchContext,
  CampaignDispatchFn,
  CampaignScenario,
  CampaignSpan,
  CampaignSpanAttributes,
  LoopCostSource,
  ProfileDispatchFn,
} from './campaign-contract.js'

/** Loop options a dispatch builds per cell; `ctx` is optional and merged over the dispatch's own. @experimental */
export type LoopOptionsForCell<Task, Output, Decision, Verdict extends DefaultVerdict> = Omit<RunLoopOptions<Task, Output, Decision, Verdict>, 'ctx'> & {
  ctx?: Partial<LoopExecCtx>
}

/** Options of {@link loopDispatch}. @experimental */
export interface LoopDispatchOptions<Profile, Scenario extends CampaignScenario, Task, Output, Decision, Verdict extends DefaultVerdict, Artifact> {
  /** Where iterations run (overridable per cell through `toLoopOptions(...).ctx.sandboxClient`). */
  sandboxClient: LoopSandboxClient
  /** Builds the loop of one cell. */
  toLoopOptions: (
    scenario: Scenario,
    profile: Profile,
  ) => LoopOptionsForCell<Task, Output, Decision, Verdict> | Promise<LoopOptionsForCell<Task, Output, Decision, Verdict>>
  /** Turns the loop result into the cell's artifact. Default: the winner's output. */
  toArtifact?: (result: LoopResult<Task, Output, Decision, Verdict>, cell: { scenario: Scenario; profile: Profile }) => Artifact | Promise<Artifact>
  /** Forward `loop.*` events to the cell span as span events. Default true. */
  forwardTrace?: boolean
  /** Who accounts dollars. Default `loop`. */
  costSource?: LoopCostSource
}

/** One signal that aborts when either does; `dispose` detaches it from long-lived campaign signals. */
function linkSignals(a: AbortSignal, b: AbortSignal | undefined): { signal: AbortSignal; dispose: () => void } {
  if (!b || a === b) return { signal: a, dispose: () => {} }
  const controller = new AbortController()
  const onA = () => controller.abort(a.reason)
  const onB = () => controller.abort(b.reason)
  if (a.aborted) onA()
  else if (b.aborted) onB()
  else {
    a.addEventListener('abort', onA, { once: true })
    b.addEventListener('abort', onB, { once: true })
  }
  return {
    signal: controller.signal,
    dispose: () => {
      a.removeEventListener('abort', onA)
      b.removeEventListener('abort', onB)
    },
  }
}

/** A loop event's primitive payload fields as span-event attributes. */
function eventAttributes(event: LoopTraceEvent): CampaignSpanAttributes {
  const out: CampaignSpanAttributes = { 'loop.run_id': event.runId }
  for (const [key, value] of Object.entries(event.payload as unknown as Record<string, unknown>)) {
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) out[`loop.${key}`] = value
    else if (key === 'verdict' && value && typeof value === 'object') {
      const v = value as DefaultVerdict
      out['loop.verdict.valid'] = v.valid
      out['loop.verdict.score'] = v.score
    } else if (key === 'tokenUsage' && value && typeof value === 'object') {
      const t = value as { input: number; output: number }
      out['loop.tokens.input'] = t.input
      out['loop.tokens.output'] = t.output
    } else if (Array.isArray(value)) out[`loop.${key}`] = value.join(',')
  }
  return out
}

/** Sends events to the cell span and to the caller's emitter; tallies usage so a failed loop still reports it. */
function cellEmitter(span: CampaignSpan | undefined, inner: LoopTraceEmitter | undefined) {
  const tally = { costUsd: 0, input: 0, output: 0, iterations: 0, startedAt: undefined as number | undefined, endedAt: undefined as number | undefined }
  const emitter: LoopTraceEmitter = {
    emit(event) {
      tally.startedAt ??= event.timestamp
      tally.endedAt = event.timestamp
      if (event.kind === 'loop.iteration.ended') {
        tally.iterations++
        tally.costUsd += event.payload.costUsd
        tally.input += event.payload.tokenUsage?.input ?? 0
        tally.output += event.payload.tokenUsage?.output ?? 0
      }
      try {
        span?.addEvent(event.kind, eventAttributes(event), event.timestamp)
      } catch {
        // the campaign's span is best-effort telemetry
      }
      return inner?.emit(event)
    },
  }
  return { emitter, tally }
}

function report(ctx: CampaignDispatchContext, usage: Parameters<NonNullable<CampaignDispatchContext['reportUsage']>>[0]): void {
  try {
    ctx.reportUsage?.(usage)
  } catch {
    // a failing usage sink must not turn a finished cell into a failed one
  }
}

/**
 * Bridges a loop to an eval campaign: returns a {@link ProfileDispatchFn} that
 * runs one loop per cell (`toLoopOptions(scenario, profile)`), forwards its
 * `loop.*` events to the cell span, always reports its cost and tokens through
 * `ctx.reportUsage` (also when the loop fails), and returns the winner's output
 * (or `toArtifact(result)`) as the artifact. The campaign's abort signal stops the loop.
 * @experimental
 * @example
 * const dispatch = loopDispatch({
 *   sandboxClient,
 *   toLoopOptions: (scenario, profile) => ({ driver: createRefineDriver(), agentRun: { profile, taskToPrompt: String }, output, validator, task: scenario.prompt }),
 * })
 * const artifact = await dispatch(profile, scenario, { signal })
 */
export function loopDispatch<
  Profile,
  Scenario extends CampaignScenario,
  Task,
  Output,
  Decision = string,
  Verdict extends DefaultVerdict = DefaultVerdict,
  Artifact = Output | undefined,
>(options: LoopDispatchOptions<Profile, Scenario, Task, Output, Decision, Verdict, Artifact>): ProfileDispatchFn<Profile, Scenario, Artifact> {
  if (!options?.sandboxClient || typeof options.sandboxClient.create !== 'function') {
    throw new ValidationError('loopDispatch: sandboxClient.create is required; pass the sandbox client the loops run on.')
  }
  if (typeof options.toLoopOptions !== 'function') {
    throw new ValidationError('loopDispatch: toLoopOptions(scenario, profile) is required; it builds the runLoop options of each cell.')
  }
  if (options.costSource !== undefined && options.costSource !== 'loop' && options.costSource !== 'external') {
    throw new ValidationError(`loopDispatch: costSource must be 'loop' or 'external', got ${JSON.stringify(options.costSource)}.`)
  }
  const costSource = options.costSource ?? 'loop'
  const forwardTrace = options.forwardTrace ?? true

  return async (profile, scenario, ctx) => {
    if (!ctx?.signal || typeof ctx.signal.aborted !== 'boolean') throw new ValidationError('loopDispatch: the dispatch context needs an AbortSignal `signal`.')
    if (ctx.signal.aborted) throw createAbortError(`cell ${ctx.cellId ?? scenario.id} aborted before its loop started`, ctx.signal.reason)
    const loopOptions = await options.toLoopOptions(scenario, profile)
    const own = loopOptions.ctx ?? {}
    const { emitter, tally } = cellEmitter(forwardTrace ? ctx.span : undefined, own.traceEmitter)
    const linked = linkSignals(ctx.signal, own.signal)
    const loopCtx: LoopExecCtx = {
      ...own,
      sandboxClient: own.sandboxClient ?? options.sandboxClient,
      signal: linked.signal,
      traceEmitter: emitter,
      traceId: own.traceId ?? ctx.traceId,
      parentSpanId: own.parentSpanId ?? ctx.parentSpanId,
    }
    let result: LoopResult<Task, Output, Decision, Verdict>
    try {
      result = await runLoop<Task, Output, Decision, Verdict>({ ...loopOptions, ctx: loopCtx })
    } catch (err) {
      report(ctx, {
        costUsd: costSource === 'loop' ? tally.costUsd : null,
        inputTokens: tally.input,
        outputTokens: tally.output,
        costSource,
        durationMs: (tally.endedAt ?? 0) - (tally.startedAt ?? 0),
        iterations: tally.iterations,
      })
      throw err
    } finally {
      linked.dispose()
    }
    report(ctx, {
      costUsd: costSource === 'loop' ? result.costUsd : null,
      inputTokens: result.tokenUsage.input,
      outputTokens: result.tokenUsage.output,
      costSource,
      durationMs: result.durationMs,
      iterations: result.iterations.length,
    })
    if (forwardTrace) {
      try {
        ctx.span?.setAttribute?.('tangle.run.id', result.runId)
      } catch {
        // best-effort
      }
    }
    if (options.toArtifact) return options.toArtifact(result, { scenario, profile })
    return result.winner?.output as Artifact
  }
}

/**
 * {@link loopDispatch} for campaigns without a profile axis: `(scenario, ctx) → artifact`.
 * @experimental
 * @example
 * const dispatch = loopCampaignDispatch({ sandboxClient, toLoopOptions: (scenario) => loopFor(scenario) })
 */
export function loopCampaignDispatch<Scenario extends CampaignScenario, Task, Output, Decision = string, Verdict extends DefaultVerdict = DefaultVerdict, Artifact = Output | undefined>(
  options: Omit<LoopDispatchOptions<undefined, Scenario, Task, Output, Decision, Verdict, Artifact>, 'toLoopOptions' | 'toArtifact'> & {
    toLoopOptions: (scenario: Scenario) => LoopOptionsForCell<Task, Output, Decision, Verdict> | Promise<LoopOptionsForCell<Task, Output, Decision, Verdict>>
    toArtifact?: (result: LoopResult<Task, Output, Decision, Verdict>, cell: { scenario: Scenario }) => Artifact | Promise<Artifact>
  },
): CampaignDispatchFn<Scenario, Artifact> {
  const { toArtifact } = options
  const dispatch = loopDispatch<undefined, Scenario, Task, Output, Decision, Verdict, Artifact>({
    ...options,
    toLoopOptions: (scenario) => options.toLoopOptions(scenario),
    toArtifact: toArtifact ? (result, { scenario }) => toArtifact(result, { scenario }) : undefined,
  })
  return (scenario, ctx) => dispatch(undefined, scenario, ctx)
}
