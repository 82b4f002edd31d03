import type { SandboxBox, SandboxClient, SandboxCreateOptions, SandboxEvent } from '../contracts/sandbox.js'
import { BackendTransportError, ValidationError, errorMessage } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'
import { createSandboxEventReducer, readSandboxUsage, type SandboxTurnResult } from '../sandbox-events/reduce.js'
import type { AgentAct, AgentActContext, AgentEvent, AgentPersona } from './types.js'

/**
 * The production agent profile an evaluation runs through (the sandbox SDK's
 * `AgentProfile`, kept structural). `harness` picks the backend type.
 * @experimental
 */
export interface SandboxActProfile {
  name?: string
  harness?: string
  model?: { default?: string; [key: string]: unknown }
  prompt?: { systemPrompt?: string; appendSystemPrompt?: string; instructions?: string[] }
  [key: string]: unknown
}

/** Options of {@link createSandboxAct}. @experimental */
export interface SandboxActOptions<Persona extends AgentPersona, Output> {
  sandboxClient: SandboxClient
  profile: SandboxActProfile
  /** The message sent to the agent for a persona. Default: `persona.message`, else the persona as JSON. */
  message?: (persona: Persona) => string
  /** Turns the folded sandbox turn into the run's output. Default: the reply text. */
  decodeOutput?: (turn: SandboxTurnResult, persona: Persona) => Output | Promise<Output>
  /** Extra create options merged over the derived ones (e.g. `git`, `env`, `metadata.repoRoot`). */
  createOptions?: SandboxCreateOptions | ((persona: Persona, ctx: AgentActContext) => SandboxCreateOptions)
  /** Prompt timeout passed to `streamPrompt`, in ms; shortened to the run's `deadlineMs` when that comes first. */
  timeoutMs?: number
  /** Clock for `deadlineMs`. Default: the system clock. */
  clock?: Clock
}

const CHAT_TYPES = new Set(['message.part.updated', 'message.updated', 'text_delta', 'reasoning_delta'])

function toAgentEvent(e: SandboxEvent): AgentEvent {
  return { kind: CHAT_TYPES.has(e.type) ? 'chat' : 'task', type: e.type, payload: { ...e.data, ...(e.id !== undefined ? { eventId: e.id } : {}) } }
}

function defaultMessage(persona: AgentPersona): string {
  return typeof persona.message === 'string' ? persona.message : JSON.stringify(persona)
}

/**
 * A `runtime.act` that runs every persona through the agent's real sandbox
 * profile: one box per run (created with `backend: {type: profile.harness,
 * profile}`), the persona's message streamed, sandbox events surfaced as
 * agent events, the box deleted afterwards. Works with `sandbox-local` and
 * any structural `SandboxClient` (e.g. `@tangle-network/sandbox`).
 * @experimental
 * @example
 * const act = createSandboxAct({ sandboxClient, profile: { name: 'support', harness: 'claude-code', model: { default: 'anthropic/claude-sonnet-4-6' } } })
 * defineAgent({ ...manifest, runtime: { act } })
 */
export function createSandboxAct<Persona extends AgentPersona, Output = string>(options: SandboxActOptions<Persona, Output>): AgentAct<Persona, Output> {
  const { sandboxClient, profile } = options
  if (!sandboxClient || typeof sandboxClient.create !== 'function') {
    throw new ValidationError('createSandboxAct: sandboxClient must be a SandboxClient (an object with create()); pass createLocalSandboxClient(...) or new Sandbox(...).')
  }
  if (!profile || typeof profile !== 'object') throw new ValidationError('createSandboxAct: profile is required (the agent\'s production AgentProfile).')
  const message = options.message ?? defaultMessage
  const decode = options.decodeOutput ?? ((turn: SandboxTurnResult) => turn.text as unknown as Output)
  const clock = options.clock ?? systemClock
  const timeoutFor = (ctx: AgentActContext, personaId: string): number | undefined => {
    if (ctx.deadlineMs === undefined) return options.timeoutMs
    const remaining = ctx.deadlineMs - clock()
    if (remaining <= 0) throw new BackendTransportError('sandbox', `run ${ctx.runId} (persona '${personaId}') reached its deadline before the sandbox prompt started.`, { status: 0 })
    return options.timeoutMs === undefined ? remaining : Math.min(options.timeoutMs, remaining)
  }
  return (persona, ctx) => {
    // Events are pumped eagerly into a queue, so awaiting `output` alone never deadlocks.
    const queue: AgentEvent[] = []
    let done = false
    let failure: unknown
    let wake: (() => void) | undefined
    const notify = () => {
      wake?.()
      wake = undefined
    }
    const output = (async (): Promise<Output> => {
      let box: SandboxBox | undefined
      const reducer = createSandboxEventReducer()
      try {
        const timeoutMs = timeoutFor(ctx, persona.id)
        const extra = typeof options.createOptions === 'function' ? options.createOptions(persona, ctx) : (options.createOptions ?? {})
        const create: SandboxCreateOptions = {
          name: `${profile.name ?? 'agent'}-${ctx.runId}`,
          ...extra,
          backend: { type: profile.harness ?? 'opencode', profile, ...(extra.backend ?? {}) },
          metadata: { runId: ctx.runId, personaId: persona.id, ...(ctx.variantId ? { variantId: ctx.variantId } : {}), ...(extra.metadata ?? {}) },
        }
        box = await sandboxClient.create(create, { signal: ctx.signal })
        queue.push({ kind: 'task', type: 'sandbox_created', payload: { boxId: box.id, harness: create.backend?.type } })
        notify()
        const stream = box.streamPrompt(message(persona), {
          signal: ctx.signal,
          timeoutMs,
          model: profile.model?.default,
          context: { runId: ctx.runId, personaId: persona.id },
        })
        for await (const e of stream) {
          const usage = readSandboxUsage(e)
          const event = toAgentEvent(e)
          if (usage?.costUsd !== undefined && event.payload) event.payload.costUsd = usage.costUsd
          queue.push(event)
          notify()
          if (reducer.push(e)) break
        }
        const turn = reducer.result()
        if (turn.error !== undefined) throw new BackendTransportError('sandbox', `sandbox agent failed for persona '${persona.id}': ${turn.error}`)
        return await decode(turn, persona)
      } finally {
        if (box?.delete) await box.delete().catch(() => {})
      }
    })()
    output.then(
      () => {
        done = true
        notify()
      },
      (err) => {
        failure = err
        done = true
        notify()
      },
    )
    async function* events(): AsyncGenerator<AgentEvent> {
      while (true) {
        if (queue.length > 0) {
          yield queue.shift()!
          continue
        }
        if (done) {
          if (failure !== undefined) throw failure instanceof Error ? failure : new Error(errorMessage(failure))
          return
        }
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    }
    return { events: events(), output }
  }
}
