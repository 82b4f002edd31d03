import type { AgentBackendInput, AgentExecutionBackend } from '../../contracts/backend.js'
import type { DefaultVerdict } from '../../contracts/loop.js'
import type { RuntimeSession } from '../../contracts/session.js'
import type { AgentTaskSpec } from '../../contracts/task.js'
import { PlannerError, ValidationError, createAbortError } from '../../errors.js'
import { type Clock, systemClock } from '../../util/clock.js'
import { envelopeToMove, parseEnvelopeText } from './envelope.js'
import { buildPlannerPrompt } from './planner-prompt.js'
import type { PlannerContext, TopologyPlanner } from './topology-move.js'

/** Options of {@link createBackendPlanner}. @experimental */
export interface BackendPlannerOptions<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> {
  /** Any execution backend, e.g. `createOpenAICompatibleBackend(...)`. */
  backend: AgentExecutionBackend
  /** Turns a raw envelope task into a loop task. Default: the raw value as is. */
  decodeTask?: (raw: unknown) => Task
  /** Replaces the default prompt ({@link buildPlannerPrompt}). */
  buildPrompt?: (ctx: PlannerContext<Task, Output, Verdict>) => string | Promise<string>
  /** Replaces the default envelope reader ({@link parseEnvelopeText}) over the reply text. */
  parseEnvelope?: (text: string) => unknown
  /** System message sent before the prompt. */
  system?: string
  signal?: AbortSignal
  now?: Clock
}

/** The backend's reply folded into text; throws on a failed turn. */
async function collectReply(
  backend: AgentExecutionBackend,
  input: AgentBackendInput,
  task: AgentTaskSpec,
  session: RuntimeSession,
  signal: AbortSignal | undefined,
): Promise<string> {
  let text = ''
  let finalText: string | undefined
  for await (const event of backend.stream(input, { task, session, signal })) {
    if (signal?.aborted) throw createAbortError('planner aborted while streaming')
    if (event.type === 'text_delta') text += event.text
    else if (event.type === 'backend_error' && !event.recoverable) {
      throw new PlannerError(`Planner backend ${backend.kind} failed: ${event.message}`)
    } else if (event.type === 'final') {
      if (event.status === 'failed' || event.status === 'aborted') {
        throw new PlannerError(`Planner backend ${backend.kind} ended ${event.status}: ${event.error?.message ?? event.reason}`)
      }
      if (typeof event.text === 'string') finalText = event.text
    }
  }
  return finalText && finalText.length >= text.length ? finalText : text
}

/**
 * A planner that asks any {@link AgentExecutionBackend} for each round's move,
 * so a dynamic loop can plan over an OpenAI-compatible model without a
 * sandbox. It streams the prompt, collects the reply text and parses the same
 * envelope the sandbox planner reads. Throws {@link PlannerError} when the
 * reply has no usable envelope or the backend fails.
 * @experimental
 * @example
 * const planner = createBackendPlanner({ backend: createOpenAICompatibleBackend({ model: 'gpt-4o-mini' }) })
 * const driver = createDynamicDriver({ planner })
 */
export function createBackendPlanner<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict>(
  options: BackendPlannerOptions<Task, Output, Verdict>,
): TopologyPlanner<Task, Output, Verdict> {
  if (!options?.backend || typeof options.backend.stream !== 'function') {
    throw new ValidationError('createBackendPlanner: backend.stream is required; pass an AgentExecutionBackend such as createOpenAICompatibleBackend(...).')
  }
  if (options.decodeTask !== undefined && typeof options.decodeTask !== 'function') {
    throw new ValidationError(`createBackendPlanner: decodeTask must be a function, got ${typeof options.decodeTask}.`)
  }
  const { backend } = options
  const decodeTask = options.decodeTask ?? ((raw: unknown) => raw as Task)
  const buildPrompt = options.buildPrompt ?? ((ctx: PlannerContext<Task, Output, Verdict>) => buildPlannerPrompt(ctx))
  const parseEnvelope = options.parseEnvelope ?? parseEnvelopeText
  const now = options.now ?? systemClock

  return async (ctx) => {
    const signal = ctx.signal ?? options.signal
    if (signal?.aborted) throw createAbortError('planner aborted before asking the backend')
    const prompt = await buildPrompt(ctx)
    const task: AgentTaskSpec = { id: `loop-planner-r${ctx.roundIndex}`, intent: 'loop.plan' }
    const stamp = new Date(now()).toISOString()
    const session: RuntimeSession = { id: task.id, backend: backend.kind, status: 'active', createdAt: stamp, updatedAt: stamp }
    const messages: AgentBackendInput['messages'] = options.system
      ? [
          { role: 'system', content: options.system },
          { role: 'user', content: prompt },
        ]
      : [{ role: 'user', content: prompt }]
    const reply = await collectReply(backend, { task, message: prompt, messages }, task, session, signal)
    return envelopeToMove<Task>(parseEnvelope(reply), { rootTask: ctx.task, decodeTask })
  }
}
