import type {
  AgentRunSpec,
  DefaultVerdict,
  Iteration,
  LoopExecCtx,
  LoopPlacement,
  OutputAdapter,
  TokenUsage,
  Validator,
} from '../../contracts/loop.js'
import type { SandboxBox, SandboxCreateOptions, SandboxEvent } from '../../contracts/sandbox.js'
import { createAbortError, errorMessage } from '../../errors.js'
import { accumulateSandboxUsage, type SandboxUsageTotals } from '../../sandbox-events/reduce.js'
import type { Clock } from '../../util/clock.js'
import { hashTraceValue, type LoopTracer, previewOutput } from './trace.js'

/** Default `backend.type` of an iteration's sandbox when neither overrides nor the profile name one. @experimental */
export const DEFAULT_LOOP_BACKEND_TYPE = 'opencode'

/**
 * The sandbox create options of one iteration: the spec's overrides, with
 * `backend.type` = override ?? `profile.metadata.backendType` ?? `'opencode'`
 * and `backend.profile` always the spec's profile (overrides cannot replace it).
 * @experimental
 * @example
 * const options = buildIterationSandboxOptions({ profile, taskToPrompt: String }, task)
 */
export function buildIterationSandboxOptions<Task>(spec: AgentRunSpec<Task>, task: Task): SandboxCreateOptions {
  const raw = typeof spec.sandboxOverrides === 'function' ? spec.sandboxOverrides(task) : spec.sandboxOverrides
  const overrides: SandboxCreateOptions = raw ?? {}
  const metaType = spec.profile.metadata?.backendType
  const type = overrides.backend?.type ?? (typeof metaType === 'string' && metaType ? metaType : DEFAULT_LOOP_BACKEND_TYPE)
  return { ...overrides, backend: { ...overrides.backend, type, profile: spec.profile } }
}

/** Everything one iteration needs from the loop around it. */
export interface IterationJob<Task, Output, Verdict extends DefaultVerdict> {
  index: number
  roundIndex: number
  groupId: string
  parentIndex?: number
  task: Task
  spec: AgentRunSpec<Task>
  agentRunName: string
  output: OutputAdapter<Output>
  validator: Validator<Output, Verdict>
  ctx: LoopExecCtx
  tracer: LoopTracer
  now: Clock
  abortGate?: AbortGate
  /** Called with what each usage event adds (tokens in + out, dollars); the kernel's budget meter listens. */
  onUsage?(amount: { tokens: number; costUsd: number }): void
}

function placementOf(ctx: LoopExecCtx, box: SandboxBox): LoopPlacement {
  const describe = ctx.sandboxClient.describePlacement
  if (describe) {
    try {
      const placement = describe.call(ctx.sandboxClient, box)
      if (placement && (placement.kind === 'sibling' || placement.kind === 'fleet')) return placement
    } catch {
      // a failing describePlacement falls back to sibling placement
    }
  }
  return { kind: 'sibling', sandboxId: box.id }
}

function ownsBox(ctx: LoopExecCtx, box: SandboxBox): boolean {
  try {
    return ctx.sandboxClient.ownsBox?.(box) !== false
  } catch {
    return true
  }
}

/** One abort listener per loop, shared by every in-flight iteration (no listener pile-up on the caller's signal). */
export interface AbortGate {
  /**
   * Settles like `promise`, or rejects with an `AbortError` as soon as the
   * signal aborts. Unlike `Promise.race` against a long-lived abort promise,
   * it leaves nothing behind once it settles (a race per streamed event would
   * otherwise keep one reaction per event alive for the whole loop).
   */
  race<T>(promise: Promise<T>): Promise<T>
  dispose(): void
}

/** Builds the loop's {@link AbortGate}; undefined without a signal. */
export function createAbortGate(signal: AbortSignal | undefined): AbortGate | undefined {
  if (!signal) return undefined
  const waiters = new Set<(err: unknown) => void>()
  const onAbort = (): void => {
    const err = createAbortError('aborted', signal.reason)
    for (const reject of [...waiters]) reject(err)
    waiters.clear()
  }
  if (!signal.aborted) signal.addEventListener('abort', onAbort, { once: true })
  return {
    race<T>(promise: Promise<T>): Promise<T> {
      if (signal.aborted) {
        promise.catch(() => undefined)
        return Promise.reject(createAbortError('aborted', signal.reason))
      }
      return new Promise<T>((resolve, reject) => {
        waiters.add(reject)
        promise.then(
          (value) => {
            waiters.delete(reject)
            resolve(value)
          },
          (err: unknown) => {
            waiters.delete(reject)
            reject(err)
          },
        )
      })
    },
    dispose: () => {
      signal.removeEventListener('abort', onAbort)
      waiters.clear()
    },
  }
}

/**
 * Drains a sandbox stream into `onEvent`. With a gate, each `next()` races the
 * abort, so a box that ignores its signal still cannot hold the loop hostage.
 */
async function drain(stream: AsyncIterable<SandboxEvent>, gate: AbortGate | undefined, onEvent: (e: SandboxEvent) => void): Promise<void> {
  const it = stream[Symbol.asyncIterator]()
  try {
    for (;;) {
      const r = gate ? await gate.race(it.next()) : await it.next()
      if (r.done) return
      onEvent(r.value)
    }
  } catch (err) {
    // Close the stream without waiting: a stuck producer must not block teardown.
    Promise.resolve()
      .then(() => it.return?.())
      .catch(() => undefined)
    throw err
  }
}

/**
 * Runs one iteration end to end: create the box, stream the prompt, parse,
 * validate (box still alive), then tear the box down. Never throws: any failure
 * lands in `iteration.error`.
 */
export async function runIteration<Task, Output, Verdict extends DefaultVerdict>(
  job: IterationJob<Task, Output, Verdict>,
): Promise<Iteration<Task, Output, Verdict>> {
  const { ctx, tracer, now, index, roundIndex, agentRunName, groupId, parentIndex, task } = job
  const signal = ctx.signal
  const startedAt = now()
  let taskHash: string
  try {
    taskHash = hashTraceValue(task)
  } catch {
    taskHash = '00000000'
  }
  await tracer.emit('loop.iteration.started', { iterationIndex: index, roundIndex, agentRunName, taskHash, groupId, parentIndex })

  const events: SandboxEvent[] = []
  // Same rule as the shared reducer: a result's usage is the turn's total.
  const totals: SandboxUsageTotals = { inputTokens: 0, outputTokens: 0 }
  let box: SandboxBox | undefined
  let placement: LoopPlacement | undefined
  let output: Output | undefined
  let verdict: Verdict | undefined
  let error: string | undefined

  const onEvent = (event: SandboxEvent): void => {
    events.push(event)
    const before = { ...totals }
    const usage = accumulateSandboxUsage(totals, event)
    if (!usage) return
    // Report only what this event adds, so the ledger's sum equals the totals
    // even when a final result restates usage already streamed.
    const added = (after: number | undefined, prior: number | undefined) => Math.max(0, (after ?? 0) - (prior ?? 0))
    job.onUsage?.({
      tokens: added(totals.inputTokens, before.inputTokens) + added(totals.outputTokens, before.outputTokens),
      costUsd: added(totals.costUsd, before.costUsd),
    })
    if (ctx.runHandle) {
      try {
        ctx.runHandle.observe({
          type: 'llm_call',
          model: usage.model ?? agentRunName,
          tokensIn: added(totals.inputTokens, before.inputTokens),
          tokensOut: added(totals.outputTokens, before.outputTokens),
          costUsd: added(totals.costUsd, before.costUsd),
          timestamp: new Date(now()).toISOString(),
        })
      } catch {
        // cost reporting is best-effort
      }
    }
  }

  try {
    if (signal?.aborted) throw createAbortError('aborted', signal.reason)
    const createOptions = buildIterationSandboxOptions(job.spec, task)
    box = await ctx.sandboxClient.create(createOptions, { signal })
    placement = placementOf(ctx, box)
    await tracer.emit('loop.iteration.dispatch', {
      iterationIndex: index,
      placement: placement.kind,
      sandboxId: placement.sandboxId,
      fleetId: placement.fleetId,
      machineId: placement.machineId,
    })
    if (signal?.aborted) throw createAbortError('aborted', signal.reason)
    const prompt = job.spec.taskToPrompt(task)
    await drain(box.streamPrompt(prompt, { signal }), job.abortGate, onEvent)
    if (signal?.aborted) throw createAbortError('aborted', signal.reason)
    output = await job.output.parse(events, { box, signal })
    verdict = await job.validator.validate(output as Output, { iteration: index, signal, traceEmitter: ctx.traceEmitter, box })
  } catch (err) {
    error = errorMessage(err) || (err instanceof Error ? err.name : 'iteration failed')
  }

  const endedAt = now()
  const tokenUsage: TokenUsage = { input: totals.inputTokens, output: totals.outputTokens }
  const costUsd = totals.costUsd ?? 0
  const hasTokens = tokenUsage.input !== 0 || tokenUsage.output !== 0
  let outputHash: string | undefined
  try {
    outputHash = output === undefined ? undefined : hashTraceValue(output)
  } catch {
    outputHash = undefined
  }
  await tracer.emit('loop.iteration.ended', {
    iterationIndex: index,
    roundIndex,
    agentRunName,
    outputHash,
    verdict,
    error,
    costUsd,
    durationMs: endedAt - startedAt,
    tokenUsage: hasTokens ? { ...tokenUsage } : undefined,
    groupId,
    parentIndex,
    outputPreview: previewOutput(output),
  })
  if (box) await teardown(ctx, tracer, index, box)

  const iteration: Iteration<Task, Output, Verdict> = {
    index,
    roundIndex,
    task,
    agentRunName,
    events,
    startedAt,
    endedAt,
    costUsd,
    tokenUsage,
  }
  if (parentIndex !== undefined) iteration.parentIndex = parentIndex
  if (output !== undefined) iteration.output = output
  if (verdict !== undefined) iteration.verdict = verdict
  if (error !== undefined) iteration.error = error
  if (placement) iteration.placement = placement
  return iteration
}

/** Deletes the box unless the client says it does not own it; a failure becomes `loop.teardown.failed`. */
async function teardown(ctx: LoopExecCtx, tracer: LoopTracer, iterationIndex: number, box: SandboxBox): Promise<void> {
  if (!ownsBox(ctx, box) || typeof box.delete !== 'function') return
  try {
    await box.delete()
  } catch (err) {
    await tracer.emit('loop.teardown.failed', { iterationIndex, sandboxId: box.id, reason: errorMessage(err) })
  }
}
