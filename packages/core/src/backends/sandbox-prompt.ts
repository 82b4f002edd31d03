import type { AgentBackendContext, AgentBackendInput, AgentExecutionBackend } from '../contracts/backend.js'
import type { BackendStreamEvent } from '../contracts/events.js'
import type { SandboxBox, SandboxEvent, SandboxPromptOptions } from '../contracts/sandbox.js'
import type { RuntimeSession } from '../contracts/session.js'
import { AgentRuntimeError, createAbortError, ValidationError } from '../errors.js'
import { createSandboxEventReducer, readSandboxTextDelta } from '../sandbox-events/reduce.js'
import { type Clock, type IdSource, randomUuid, systemClock } from '../util/clock.js'

/** The context `getBox` receives: the stream context, or the start context (no session yet). @stable */
export type SandboxBoxContext = Omit<AgentBackendContext, 'session'> & { session?: RuntimeSession; requestedSessionId?: string }

/** Options of {@link createSandboxPromptBackend}. @stable */
export interface SandboxPromptBackendOptions {
  /** Backend kind (default `sandbox`). */
  kind?: string
  /**
   * Returns the box to prompt. Called by `start` and by every `stream`, so it
   * should create the box once per session and return it afterwards.
   */
  getBox(ctx: SandboxBoxContext): Promise<SandboxBox>
  /** Replaces `box.streamPrompt`, e.g. to add options the box needs. */
  streamPrompt?(box: SandboxBox, message: string, options: SandboxPromptOptions): AsyncIterable<SandboxEvent>
  /**
   * Maps one sandbox event. Return events (or one) to use them, `null` or `[]`
   * to drop the event, `undefined` to fall back to the default mapping.
   */
  mapEvent?(event: SandboxEvent): BackendStreamEvent | BackendStreamEvent[] | null | undefined
  /** Sandbox session id for a runtime session (default `session.resumeToken ?? session.id`). */
  getSessionId?(session: RuntimeSession): string | undefined
  /** `provider/model` passed to `streamPrompt`, and named on the `llm_call`. */
  model?: string
  /** Passed to `streamPrompt`. */
  timeoutMs?: number
  clock?: Clock
  idSource?: IdSource
}

type Json = Record<string, unknown>
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined)
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

function promptMessage(input: AgentBackendInput): string {
  if (input.message !== undefined) return input.message
  const last = input.messages?.[input.messages.length - 1]
  return last ? last.content : input.task.intent
}

/** Tool arguments as sent: objects as they are, JSON strings parsed, other strings raw. */
function toolArgs(v: unknown): unknown {
  if (typeof v !== 'string') return v
  try {
    return JSON.parse(v)
  } catch {
    return v
  }
}

/**
 * The default mapping of one sandbox event to runtime events, text aside
 * (text comes from the shared reducer so every producer shape is read once):
 * reasoning, tool calls and results, artifacts, proposals. Undefined when the
 * event maps to nothing.
 * @stable
 * @example
 * mapSandboxEvent({ type: 'tool_call', data: { name: 'ls', arguments: '{"path":"."}' } })
 * // → { type: 'tool_call', toolName: 'ls', args: { path: '.' } }
 */
export function mapSandboxEvent(event: SandboxEvent): BackendStreamEvent | undefined {
  const data = obj(event.data) ?? {}
  switch (event.type) {
    case 'reasoning_delta': {
      const text = str(data.text) ?? str(data.delta)
      return text ? { type: 'reasoning_delta', text } : undefined
    }
    case 'message.part.updated': {
      const part = obj(data.part)
      if (part?.type !== 'reasoning') return undefined
      const text = str(data.delta) ?? str(part.text)
      return text ? { type: 'reasoning_delta', text } : undefined
    }
    case 'tool_call': {
      const ev: Extract<BackendStreamEvent, { type: 'tool_call' }> = {
        type: 'tool_call',
        toolName: str(data.toolName) ?? str(data.name) ?? 'tool',
        args: toolArgs(data.args ?? data.input ?? data.arguments),
      }
      const id = str(data.toolCallId) ?? str(data.id) ?? str(data.callId)
      if (id) ev.toolCallId = id
      return ev
    }
    case 'tool_result': {
      const ev: Extract<BackendStreamEvent, { type: 'tool_result' }> = {
        type: 'tool_result',
        toolName: str(data.toolName) ?? str(data.name) ?? 'tool',
        result: data.result ?? data.output,
      }
      const id = str(data.toolCallId) ?? str(data.id) ?? str(data.callId)
      if (id) ev.toolCallId = id
      return ev
    }
    case 'artifact': {
      const artifactId = str(data.artifactId) ?? str(data.id)
      if (!artifactId) return undefined
      const ev: Extract<BackendStreamEvent, { type: 'artifact' }> = { type: 'artifact', artifactId }
      if (str(data.name)) ev.name = data.name as string
      if (str(data.mimeType)) ev.mimeType = data.mimeType as string
      if (str(data.uri)) ev.uri = data.uri as string
      if (data.content !== undefined) ev.content = data.content
      if (obj(data.metadata)) ev.metadata = data.metadata as Json
      return ev
    }
    case 'proposal_created':
    case 'proposal':
    case 'filing': {
      const proposalId = str(data.proposalId) ?? str(data.id)
      if (!proposalId) return undefined
      const ev: Extract<BackendStreamEvent, { type: 'proposal_created' }> = {
        type: 'proposal_created',
        proposalId,
        title: str(data.title) ?? str(data.name) ?? proposalId,
      }
      if (str(data.status)) ev.status = data.status as string
      if (data.content !== undefined) ev.content = data.content
      return ev
    }
    default:
      return undefined
  }
}

/**
 * Creates a backend that runs each turn as a sandbox prompt
 * (`box.streamPrompt`) and maps the sandbox events to runtime events. Text is
 * read through the shared sandbox-event reducer (message parts, deltas, a
 * `result`/`final` text), so the streamed text matches what
 * {@link reduceSandboxEvents} folds; the stream stops at `done`, `result` or
 * `final`. Summed usage becomes one `llm_call`. An `error` event makes the
 * stream throw an {@link AgentRuntimeError} (code `backend`) carrying the
 * agent's message, after the events before it were yielded.
 *
 * A `result` text that does not extend the text already streamed cannot be
 * retracted from a stream; it is then not streamed, and the reducer's result
 * stays the authoritative text.
 * @stable
 * @example
 * const backend = createSandboxPromptBackend({ getBox: async () => box })
 */
export function createSandboxPromptBackend(options: SandboxPromptBackendOptions): AgentExecutionBackend {
  if (typeof options?.getBox !== 'function') {
    throw new ValidationError('createSandboxPromptBackend: getBox must be a function returning the SandboxBox to prompt (create it once per session)')
  }
  const kind = options.kind ?? 'sandbox'
  const clock = options.clock ?? systemClock
  const newId = options.idSource ?? randomUuid
  const now = () => new Date(clock()).toISOString()

  return {
    kind,
    async start(_input, ctx) {
      const box = await options.getBox(ctx)
      const at = now()
      return {
        id: ctx.requestedSessionId ?? newId(),
        backend: kind,
        status: 'active',
        createdAt: at,
        updatedAt: at,
        metadata: { resumable: true, boxId: box.id },
      }
    },
    async resume(session) {
      return { ...session, status: 'active', updatedAt: now() }
    },
    async *stream(input, ctx) {
      const signal = ctx.signal
      if (signal?.aborted) throw createAbortError('sandbox prompt aborted by the caller', signal.reason)
      const box = await options.getBox(ctx)
      const promptOptions: SandboxPromptOptions = {}
      const sessionId = options.getSessionId ? options.getSessionId(ctx.session) : (ctx.session.resumeToken ?? ctx.session.id)
      if (sessionId) promptOptions.sessionId = sessionId
      if (options.model) promptOptions.model = options.model
      if (options.timeoutMs !== undefined) promptOptions.timeoutMs = options.timeoutMs
      if (signal) promptOptions.signal = signal
      const context: Json = {}
      for (const key of ['runId', 'turnId', 'parentTurnId', 'propagatedHeaders'] as const) if (ctx[key] !== undefined) context[key] = ctx[key]
      if (Object.keys(context).length > 0) promptOptions.context = context
      const message = promptMessage(input)
      const events = options.streamPrompt ? options.streamPrompt(box, message, promptOptions) : box.streamPrompt(message, promptOptions)

      const reducer = createSandboxEventReducer()
      let streamed = ''
      for await (const event of events) {
        if (signal?.aborted) throw createAbortError('sandbox prompt aborted by the caller', signal.reason)
        const terminal = reducer.push(event)
        const custom = options.mapEvent?.(event)
        if (custom !== undefined) {
          if (custom !== null) yield* Array.isArray(custom) ? custom : [custom]
          // The custom mapping owns this event's text; do not stream it again later.
          streamed = reducer.result().text
        } else {
          // Only text-bearing events can move the text; skip the comparison for the rest.
          const text = readSandboxTextDelta(event) || event.type === 'result' || event.type === 'final' ? reducer.result().text : streamed
          if (text !== streamed) {
            if (text.startsWith(streamed)) yield { type: 'text_delta', text: text.slice(streamed.length) }
            streamed = text
          }
          const mapped = mapSandboxEvent(event)
          if (mapped) yield mapped
        }
        if (terminal) break
      }
      if (signal?.aborted) throw createAbortError('sandbox prompt aborted by the caller', signal.reason)
      const result = reducer.result()
      if (result.error !== undefined) {
        throw new AgentRuntimeError('backend', `sandbox ${box.id} agent reported an error: ${result.error}`)
      }
      if (result.usage) {
        const ev: Extract<BackendStreamEvent, { type: 'llm_call' }> = {
          type: 'llm_call',
          model: result.model ?? options.model ?? kind,
          tokensIn: result.usage.inputTokens,
          tokensOut: result.usage.outputTokens,
        }
        if (result.costUsd !== undefined) ev.costUsd = result.costUsd
        yield ev
      }
    },
  }
}
