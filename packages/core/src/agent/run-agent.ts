import { ConfigError, errorMessage } from '../errors.js'
import { type Clock, type IdSource, randomUuid, systemClock } from '../util/clock.js'
import type { TraceStore } from './trace-store.js'
import type { AgentAct, AgentDefinition, AgentEvent, AgentPersona, AgentRunHandle, AgentRubric } from './types.js'

/**
 * A `runtime.act` for agents that are analysed but not run here: calling it
 * fails with a `ConfigError` that says what to wire.
 * @experimental
 * @example
 * defineAgent({ ...manifest, runtime: { act: unimplementedAgentRun('support') } }, { fsCheck })
 */
export function unimplementedAgentRun<Persona extends AgentPersona = AgentPersona, Output = unknown>(agentId = 'agent'): AgentAct<Persona, Output> {
  return (persona) => {
    const error = new ConfigError(
      `agent '${agentId}' has no runtime.act (persona '${persona.id}'); wire one, e.g. createSandboxAct({ sandboxClient, profile }).`,
    )
    const output = Promise.reject(error)
    // The events stream reports the same failure; keep the output rejection observed until awaited.
    output.catch(() => {})
    return {
      events: {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(error) }),
      },
      output,
    }
  }
}

/**
 * Drains a run handle: every event in order, then the awaited output.
 * @experimental
 * @example
 * const { events, output } = await collectAgentRun(agent.runtime.act(persona, ctx))
 */
export async function collectAgentRun<Output>(handle: AgentRunHandle<Output>): Promise<{ events: AgentEvent[]; output: Output }> {
  const events: AgentEvent[] = []
  for await (const e of handle.events) events.push(e)
  return { events, output: await handle.output }
}

/**
 * Scores an output on a rubric: each dimension's score clamped to [0, 1],
 * and the weight-normalised composite.
 * @experimental
 * @example
 * const { scores, composite } = await scoreRubric(agent.rubric, { persona, output })
 */
export async function scoreRubric<Persona extends AgentPersona, Output>(
  rubric: AgentRubric<Persona, Output>,
  input: { persona: Persona; output: Output },
): Promise<{ scores: Record<string, number>; composite: number }> {
  const scores: Record<string, number> = {}
  let weighted = 0
  let total = 0
  for (const d of rubric.dimensions) {
    const raw = Number(await d.score(input))
    const s = Number.isFinite(raw) ? Math.min(1, Math.max(0, raw)) : 0
    scores[d.id] = s
    weighted += s * d.weight
    total += d.weight
  }
  return { scores, composite: total > 0 ? weighted / total : 0 }
}

/** Options of {@link recordAgentRun}. @experimental */
export interface RecordAgentRunOptions {
  traces: TraceStore
  runId?: string
  variantId?: string
  signal?: AbortSignal
  deadlineMs?: number
  clock?: Clock
  ids?: IdSource
}

/** What {@link recordAgentRun} returns. @experimental */
export interface RecordedAgentRun<Output> {
  runId: string
  status: 'completed' | 'failed'
  output?: Output
  scores?: Record<string, number>
  composite?: number
  error?: string
}

/**
 * Runs a defined agent once for a persona, writing every event (streamed and
 * emitted) to the trace store, then scores the output on the agent's rubric
 * and ends the run. A failing act is recorded as a failed run, not thrown.
 * @experimental
 * @example
 * for (const persona of await agent.personas()) await recordAgentRun(agent, persona, { traces })
 */
export async function recordAgentRun<Persona extends AgentPersona, Output>(
  agent: AgentDefinition<Persona, Output>,
  persona: Persona,
  options: RecordAgentRunOptions,
): Promise<RecordedAgentRun<Output>> {
  const clock = options.clock ?? systemClock
  const runId = options.runId ?? `run_${(options.ids ?? randomUuid)()}`
  const { traces } = options
  await traces.beginRun({ runId, agentId: agent.id, personaId: persona.id, variantId: options.variantId, startedAt: clock() })
  // Emitted events are queued and written in order with the streamed ones, so `seq` follows arrival.
  let pending: Promise<void> = Promise.resolve()
  const write = (e: AgentEvent) => {
    pending = pending.then(() => traces.append(runId, [{ kind: e.kind, type: e.type, timestamp: clock(), payload: e.payload }]))
    return pending
  }
  let costUsd = 0
  const addCost = (e: AgentEvent) => {
    const c = e.payload?.costUsd
    if (typeof c === 'number' && Number.isFinite(c)) costUsd += c
  }
  try {
    const handle = agent.runtime.act(persona, {
      runId,
      variantId: options.variantId,
      signal: options.signal,
      deadlineMs: options.deadlineMs,
      emitter: {
        emit: (e) => {
          addCost(e)
          void write(e)
        },
      },
    })
    for await (const e of handle.events) {
      addCost(e)
      await write(e)
    }
    const output = await handle.output
    await pending
    const { scores, composite } = await scoreRubric(agent.rubric, { persona, output })
    await traces.endRun(runId, { status: 'completed', endedAt: clock(), output, scores, composite, costUsd })
    return { runId, status: 'completed', output, scores, composite }
  } catch (err) {
    await pending.catch(() => {})
    const error = errorMessage(err)
    await traces.append(runId, [{ kind: 'task', type: 'backend_error', timestamp: clock(), payload: { message: error, errorClass: (err as Error)?.name ?? 'Error' } }])
    await traces.endRun(runId, { status: 'failed', endedAt: clock(), error, costUsd })
    return { runId, status: 'failed', error }
  }
}
