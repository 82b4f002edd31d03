import type { AgentBackendContext, AgentBackendInput, AgentExecutionBackend } from '../contracts/backend.js'
import type { BackendErrorDetail, BackendStreamEvent, RuntimeStreamEvent } from '../contracts/events.js'
import type { KnowledgeReadinessReport } from '../contracts/knowledge.js'
import type { RuntimeSession, RuntimeSessionStore } from '../contracts/session.js'
import type { AgentTaskSpec, AgentTaskStatus } from '../contracts/task.js'
import { BackendTransportError, SessionMismatchError, ValidationError, createAbortError, errorMessage, isAbortError } from '../errors.js'
import { describeValue } from '../util/describe-value.js'
import { type Clock, type IdSource, isoNow, randomUuid, systemClock } from '../util/clock.js'
import { type KnowledgeReadinessProvider, readinessPreflight } from './preflight.js'
import { decideKnowledgeReadiness } from './readiness.js'
import { InMemoryRuntimeSessionStore } from './session-store.js'

/** Options of {@link runAgentTaskStream}. @stable */
export interface RunAgentTaskStreamOptions {
  task: AgentTaskSpec
  backend: AgentExecutionBackend
  /** What the backend runs; defaults to `{ task }`. */
  input?: AgentBackendInput
  knowledge?: KnowledgeReadinessProvider
  /** Defaults to a fresh {@link InMemoryRuntimeSessionStore}. */
  sessionStore?: RuntimeSessionStore
  /** Session to resume (with `resume: true`) or the id asked of a new session. */
  sessionId?: string
  resume?: boolean
  signal?: AbortSignal
  minimumReadinessScore?: number
  runId?: string
  turnId?: string
  parentTurnId?: string
  propagatedHeaders?: Record<string, string>
  now?: Clock
  /** Id source for new sessions. */
  newId?: IdSource
}

/**
 * Runs a task against a backend as a stream of events: readiness, session
 * create/resume, the backend's normalised events, then `task_end` and `final`.
 * A backend failure never ends as an empty success: it yields `backend_error`
 * and `final{status:'failed'|'aborted', error}`. Resuming a session that
 * belongs to another backend kind throws {@link SessionMismatchError}.
 * @stable
 * @example
 * for await (const event of runAgentTaskStream({ task, backend, input: { task, message: 'hi' } })) {
 *   if (event.type === 'text_delta') process.stdout.write(event.text)
 * }
 */
export function runAgentTaskStream(options: RunAgentTaskStreamOptions): AsyncGenerator<RuntimeStreamEvent, void> {
  // Checked at the call, not at the first next(): a bad call fails where it is written.
  assertStreamOptions(options)
  return streamTask(options)
}

function assertStreamOptions(options: RunAgentTaskStreamOptions): void {
  const fn = 'runAgentTaskStream'
  if (!options || typeof options !== 'object') throw new ValidationError(`${fn}: expected an options object { task, backend }, got ${describeValue(options)}.`)
  const { task, backend } = options as Partial<RunAgentTaskStreamOptions>
  if (!task || typeof task !== 'object') throw new ValidationError(`${fn}: options.task is required: an AgentTaskSpec { id, intent }, got ${describeValue(task)}.`)
  if (typeof task.id !== 'string' || task.id === '') throw new ValidationError(`${fn}: options.task.id must be a non-empty string, got ${describeValue(task.id)}.`)
  if (typeof task.intent !== 'string' || task.intent === '') {
    throw new ValidationError(`${fn}: options.task.intent must be a non-empty string (a fixed description such as "Run a chat turn", never user text), got ${describeValue(task.intent)}.`)
  }
  if (!backend || typeof backend !== 'object') {
    throw new ValidationError(`${fn}: options.backend is required: an AgentExecutionBackend such as createOpenAICompatibleBackend(...) or createDefaultBackend(process.env), got ${describeValue(backend)}.`)
  }
  if (typeof backend.stream !== 'function') throw new ValidationError(`${fn}: options.backend.stream must be a function (input, ctx) => AsyncIterable of events, got ${describeValue(backend.stream)}.`)
}

async function* streamTask(options: RunAgentTaskStreamOptions): AsyncGenerator<RuntimeStreamEvent, void> {
  const { task, backend, signal } = options
  const now = options.now ?? systemClock
  const ts = () => isoNow(now)
  const store = options.sessionStore ?? new InMemoryRuntimeSessionStore()
  const input: AgentBackendInput = options.input ?? { task }

  yield { type: 'task_start', timestamp: ts(), task }
  yield { type: 'readiness_start', timestamp: ts(), task }
  const preflight = readinessPreflight(task, options.knowledge, { now, signal })
  let step = await preflight.next()
  while (!step.done) {
    yield step.value
    step = await preflight.next()
  }
  const knowledge: KnowledgeReadinessReport = step.value.knowledge
  const decision = decideKnowledgeReadiness(knowledge, { minimumScore: options.minimumReadinessScore })
  yield { type: 'readiness_end', timestamp: ts(), task, knowledge, decision }
  if (decision.status === 'blocked') {
    yield { type: 'task_end', timestamp: ts(), task, status: 'blocked', reason: decision.reason }
    yield { type: 'final', timestamp: ts(), task, status: 'blocked', reason: decision.reason }
    return
  }

  const baseCtx = {
    task,
    knowledge,
    signal,
    runId: options.runId,
    turnId: options.turnId,
    parentTurnId: options.parentTurnId,
    propagatedHeaders: options.propagatedHeaders,
  }
  const stored = options.resume && options.sessionId !== undefined ? await store.get(options.sessionId) : undefined
  if (stored && stored.backend !== backend.kind) throw new SessionMismatchError(stored.backend, backend.kind)

  let session: RuntimeSession | undefined
  let text = ''
  try {
    if (stored) {
      const resumed = backend.resume ? await backend.resume(stored, input, { ...baseCtx, session: stored }) : stored
      session = { ...resumed, status: 'active', updatedAt: ts() }
    } else if (backend.start) {
      session = await backend.start(input, { ...baseCtx, requestedSessionId: options.sessionId })
    } else {
      const at = ts()
      session = { id: options.sessionId ?? (options.newId ?? randomUuid)(), backend: backend.kind, status: 'active', createdAt: at, updatedAt: at }
    }
    await store.put(session)
    yield { type: stored ? 'session_resumed' : 'session_created', timestamp: ts(), task, session }
    yield { type: 'backend_start', timestamp: ts(), task, session, backend: backend.kind }

    const ctx: AgentBackendContext = { ...baseCtx, session }
    let fatal: { message: string; error: BackendErrorDetail; status?: AgentTaskStatus; metadata?: Record<string, unknown> } | undefined
    let backendFinal: Extract<RuntimeStreamEvent, { type: 'final' }> | undefined
    for await (const raw of backend.stream(input, ctx)) {
      if (signal?.aborted) throw createAbortError(`${backend.kind} stream aborted`, signal.reason)
      const event = normalise(raw, task, session, ts)
      await store.appendEvent?.(session.id, event)
      if (event.type === 'text_delta') text += event.text
      // A backend's own `final` (a nested conversation's outcome) is folded into the one final
      // this stream ends with, so consumers see exactly one, with the backend's verdict.
      if (event.type === 'final') {
        backendFinal = event
        if (event.status !== 'completed') {
          const message = event.reason || `${backend.kind} backend ended ${event.status}`
          const error = event.error ?? { kind: 'backend' as const, message }
          yield { type: 'backend_error', timestamp: ts(), task, session, backend: backend.kind, message, recoverable: false, error }
          fatal = { message, error, status: event.status === 'aborted' ? 'aborted' : 'failed', metadata: event.metadata }
          break
        }
        continue
      }
      yield event
      // A backend may report a fatal error as an event instead of throwing; the task still fails.
      if (event.type === 'backend_error' && !event.recoverable) {
        fatal = { message: event.message, error: event.error ?? { kind: 'backend', message: event.message } }
        break
      }
    }
    if (signal?.aborted) throw createAbortError(`${backend.kind} stream aborted`, signal.reason)
    if (fatal) {
      const status = fatal.status ?? 'failed'
      session = { ...session, status: status === 'aborted' ? 'aborted' : 'failed', updatedAt: ts() }
      await store.put(session)
      yield* ending(status, fatal.message, text || backendFinal?.text || '', session, fatal.error, fatal.metadata)
      return
    }
    if (!text && backendFinal?.text) text = backendFinal.text
    session = { ...session, status: 'completed', updatedAt: ts() }
    await store.put(session)
    yield { type: 'backend_end', timestamp: ts(), task, session, backend: backend.kind }
    yield { type: 'task_end', timestamp: ts(), task, session, status: 'completed', reason: 'backend completed' }
    yield {
      type: 'final',
      timestamp: ts(),
      task,
      session,
      status: 'completed',
      reason: 'backend completed',
      ...(text ? { text } : {}),
      ...(backendFinal?.metadata ? { metadata: backendFinal.metadata } : {}),
    }
  } catch (err) {
    const aborted = signal?.aborted === true || isAbortError(err)
    const status: AgentTaskStatus = aborted ? 'aborted' : 'failed'
    let message = errorMessage(err)
    if (session) {
      session = { ...session, status, updatedAt: ts() }
      await store.put(session)
      try {
        await backend.stop?.(session, message)
      } catch (stopErr) {
        message = `${message}; backend stop failed: ${errorMessage(stopErr)}`
      }
    }
    const error: BackendErrorDetail =
      err instanceof BackendTransportError
        ? { kind: 'transport', message, ...(err.status !== undefined ? { status: err.status } : {}), ...(err.body !== undefined ? { body: err.body } : {}) }
        : { kind: 'backend', message }
    yield { type: 'backend_error', timestamp: ts(), task, session, backend: backend.kind, message, recoverable: !aborted, error }
    yield* ending(status, message, text, session, error)
  }

  function* ending(
    status: AgentTaskStatus,
    reason: string,
    text: string,
    session: RuntimeSession | undefined,
    error: BackendErrorDetail,
    metadata?: Record<string, unknown>,
  ): Generator<RuntimeStreamEvent> {
    yield { type: 'task_end', timestamp: ts(), task, session, status, reason }
    yield { type: 'final', timestamp: ts(), task, session, status, reason, ...(text ? { text } : {}), ...(metadata ? { metadata } : {}), error }
  }
}

function normalise(raw: BackendStreamEvent, task: AgentTaskSpec, session: RuntimeSession, ts: () => string): RuntimeStreamEvent {
  return { ...raw, timestamp: raw.timestamp ?? ts(), task: raw.task ?? task, session: raw.session ?? session } as RuntimeStreamEvent
}
