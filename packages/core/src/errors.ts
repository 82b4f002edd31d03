/**
 * Error taxonomy of agent-runtime. Every error carries a stable string `code`
 * so handlers can branch without importing classes across package copies.
 */

/** Stable error codes. @stable */
export type AgentRuntimeErrorCode =
  | 'validation'
  | 'config'
  | 'not_found'
  | 'transport'
  | 'state'
  | 'planner'
  | 'judge'
  | (string & {})

/** Seed name of {@link AgentRuntimeErrorCode}. @stable */
export type AgentEvalErrorCode = AgentRuntimeErrorCode

/**
 * Base class of every error this library throws on purpose. Match on `code`
 * rather than the class, so copies of the package in one bundle still agree.
 * @stable
 * @example
 * try { await runLoop(options) } catch (err) { if ((err as AgentRuntimeError).code === 'validation') return badRequest(err) }
 */
export class AgentRuntimeError extends Error {
  /** The reference's coarse code (`validation`, `config`, …); what handlers match on. */
  readonly code: AgentRuntimeErrorCode
  /** Our finer class of the failure (`transport`, `state`, `planner`, …); equals `code` unless a subclass refines it. */
  readonly kind: string
  constructor(code: AgentRuntimeErrorCode, message: string, options?: { cause?: unknown; kind?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.kind = options?.kind ?? code
    this.name = new.target.name
  }
}

/** Alias kept for parity with agent-eval's base class name. @stable */
export const AgentEvalError = AgentRuntimeError
/** Alias type of {@link AgentRuntimeError}. @stable */
export type AgentEvalError = AgentRuntimeError

/** Bad input from the caller: a value outside its allowed shape or range. @stable */
export class ValidationError extends AgentRuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('validation', message, options)
  }
}

/** Missing or contradictory configuration (env vars, registries, options). @stable */
export class ConfigError extends AgentRuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('config', message, options)
  }
}

/** A named thing (task, session, run) does not exist. @stable */
export class NotFoundError extends AgentRuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', message, options)
  }
}

/** Longest response body kept on a {@link BackendTransportError}, in characters. @stable */
export const MAX_ERROR_BODY_CHARS = 2048

/**
 * Truncates an upstream error body to {@link MAX_ERROR_BODY_CHARS}, marking the cut with an ellipsis.
 * @stable
 * @example
 * truncateErrorBody('x'.repeat(5000))?.length // 2049
 */
export function truncateErrorBody(body: string | undefined): string | undefined {
  if (body === undefined) return undefined
  return body.length > MAX_ERROR_BODY_CHARS ? `${body.slice(0, MAX_ERROR_BODY_CHARS)}…` : body
}

/**
 * A backend's transport failed: no response (`status` 0, also used for aborts)
 * or a non-2xx answer. `body` is truncated to 2 KiB. Code `config` as in the
 * reference (a bad key, URL or model is the usual cause); `kind` is `transport`.
 * @stable
 */
export class BackendTransportError extends AgentRuntimeError {
  readonly backend: string
  readonly status?: number
  readonly body?: string
  constructor(backend: string, message: string, options?: { status?: number; body?: string; cause?: unknown }) {
    super('config', message, { cause: options?.cause, kind: 'transport' })
    this.backend = backend
    this.status = options?.status
    this.body = truncateErrorBody(options?.body)
  }
}

/** A stored session belongs to a different backend kind than the one asked to resume it. @stable */
export class SessionMismatchError extends AgentRuntimeError {
  readonly sessionBackend: string
  readonly requestedBackend: string
  constructor(sessionBackend: string, requestedBackend: string) {
    super(
      'validation',
      `Cannot resume ${sessionBackend} session with ${requestedBackend} backend; resume it with a ${sessionBackend} backend or start a new session.`,
    )
    this.sessionBackend = sessionBackend
    this.requestedBackend = requestedBackend
  }
}

/** An illegal status transition of a runtime run (for example completed → failed). Code `validation`, kind `state`. @stable */
export class RuntimeRunStateError extends AgentRuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('validation', message, { cause: options?.cause, kind: 'state' })
  }
}

/** A loop planner returned something that is not a valid topology move. Code `validation`, kind `planner`. @experimental */
export class PlannerError extends AgentRuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('validation', message, { cause: options?.cause, kind: 'planner' })
  }
}

/** A judge (an LLM or rule scoring candidates) failed or answered unusably. Code `judge`. @stable */
export class JudgeError extends AgentRuntimeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('judge', message, options)
  }
}

/**
 * True when `err` is an abort (DOM `AbortError` or an error named so).
 * @stable
 * @example
 * catch (err) { if (isAbortError(err)) return // the caller cancelled }
 */
export function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError'
}

/**
 * Builds the error thrown when an operation is cancelled through an `AbortSignal`.
 * @stable
 * @example
 * if (signal.aborted) throw createAbortError('loop aborted', signal.reason)
 */
export function createAbortError(message = 'aborted', cause?: unknown): Error {
  const err = new Error(message, cause === undefined ? undefined : { cause })
  err.name = 'AbortError'
  return err
}

/**
 * Extracts a human-readable message from any thrown value.
 * @stable
 * @example
 * errorMessage(new Error('boom')) // 'boom'; errorMessage({ code: 1 }) // '{"code":1}'
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  if (typeof err === 'string') return err
  try {
    return JSON.stringify(err)
  } catch {
    return String(err)
  }
}
