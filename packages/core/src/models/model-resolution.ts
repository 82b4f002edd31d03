import { describeNetworkError } from '../backends/network-error.js'
import { BackendTransportError, ConfigError, ValidationError, errorMessage } from '../errors.js'

/** The Tangle router used when no URL is configured. @stable */
export const DEFAULT_ROUTER_BASE_URL = 'https://router.tangle.tools'

/** One entry of a router's `/v1/models` catalog (OpenAI shape, plus `provider`). @stable */
export interface RouterModel {
  id: string
  provider?: string
  object?: string
  owned_by?: string
  [field: string]: unknown
}

/** A `fetch` implementation; injectable for tests and runtimes without a global one. @stable */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/** Environment variables as a plain map (pass `process.env` on Node). @stable */
export type EnvLike = Record<string, string | undefined>

function defaultEnv(): EnvLike {
  const proc = (globalThis as { process?: { env?: EnvLike } }).process
  return proc?.env ?? {}
}

/**
 * The router base URL: `TANGLE_ROUTER_URL`, then `TANGLE_ROUTER_BASE_URL`, then
 * {@link DEFAULT_ROUTER_BASE_URL}; a trailing `/v1` and slashes are stripped.
 * @stable
 * @example
 * resolveRouterBaseUrl({ TANGLE_ROUTER_URL: 'http://localhost:8080/v1/' }) // 'http://localhost:8080'
 */
export function resolveRouterBaseUrl(env: EnvLike = defaultEnv()): string {
  const raw = [env.TANGLE_ROUTER_URL, env.TANGLE_ROUTER_BASE_URL].map((v) => v?.trim()).find((v) => v) ?? DEFAULT_ROUTER_BASE_URL
  let url = raw.replace(/\/+$/, '')
  if (url.endsWith('/v1')) url = url.slice(0, -3).replace(/\/+$/, '')
  return url
}

/** Options of {@link getModels}. @stable */
export interface GetModelsOptions {
  fetchImpl?: FetchLike
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string
  signal?: AbortSignal
}

/**
 * Fetches the router catalog: GET `{base}/v1/models`. Resolves with `data`
 * (or `[]`); a non-2xx answer throws `BackendTransportError` "router /v1/models <status>".
 * @stable
 * @example
 * const models = await getModels(resolveRouterBaseUrl(process.env), { apiKey: process.env.TANGLE_API_KEY })
 */
export async function getModels(base: string, options: GetModelsOptions = {}): Promise<RouterModel[]> {
  const fetchImpl = options.fetchImpl ?? (globalThis.fetch as FetchLike | undefined)
  if (!fetchImpl) throw new ConfigError('getModels: no fetch available in this runtime; pass options.fetchImpl.')
  const url = `${base.replace(/\/+$/, '')}/v1/models`
  let res: Response
  try {
    res = await fetchImpl(url, {
      method: 'GET',
      headers: { accept: 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
      signal: options.signal,
    })
  } catch (err) {
    throw new BackendTransportError('router', `router /v1/models unreachable at ${url}: ${describeNetworkError(err, url)}`, { status: 0, cause: err })
  }
  const body = await res.text()
  if (!res.ok) throw new BackendTransportError('router', `router /v1/models ${res.status}`, { status: res.status, body })
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch (err) {
    throw new BackendTransportError('router', `router /v1/models returned invalid JSON (status ${res.status})`, { status: res.status, body, cause: err })
  }
  const data = (json as { data?: unknown } | null)?.data
  return Array.isArray(data) ? data.filter((m): m is RouterModel => typeof (m as RouterModel)?.id === 'string') : []
}

/**
 * A model id trimmed of whitespace; `undefined` when blank or not a string.
 * @stable
 * @example
 * cleanModelId('  openai/gpt-4o ') // 'openai/gpt-4o'
 */
export function cleanModelId(id: unknown): string | undefined {
  if (typeof id !== 'string') return undefined
  const trimmed = id.trim()
  return trimmed === '' ? undefined : trimmed
}

/** A model proposed by one source (request, workspace, env, …), for {@link resolveChatModel}. @stable */
export interface ChatModelCandidate {
  source: string
  model: string | null | undefined
}

/** The model {@link resolveChatModel} chose and which source it came from. @stable */
export interface ResolvedChatModel {
  model: string
  source: string
}

/** Seed name of {@link RouterModel}: one catalog entry. @stable */
export type ModelInfo = RouterModel
/** Seed name of {@link EnvLike}: the environment read by {@link resolveRouterBaseUrl}. @stable */
export type RouterEnv = EnvLike

/**
 * The first non-blank candidate (trimmed), else the fallback. Candidates are
 * plain ids or `{ source, model }` objects. With an object fallback the result
 * is `{ model, source }` naming the winning source; with a string fallback it
 * is the id alone (plain candidates count as source `candidate`).
 * @stable
 * @example
 * const { model, source } = resolveChatModel([{ source: 'request', model: body.model }], { source: 'default', model: 'gpt-4o-mini' })
 * const id = resolveChatModel([req.body.model, process.env.CHAT_MODEL], 'openai/gpt-4o-mini')
 */
export function resolveChatModel(candidates: ReadonlyArray<string | null | undefined>, fallback: string): string
export function resolveChatModel(candidates: ReadonlyArray<ChatModelCandidate | string | null | undefined>, fallback: ChatModelCandidate & { model: string }): ResolvedChatModel
export function resolveChatModel(
  candidates: ReadonlyArray<ChatModelCandidate | string | null | undefined>,
  fallback: string | (ChatModelCandidate & { model: string }),
): string | ResolvedChatModel {
  if (!Array.isArray(candidates)) throw new ValidationError(`resolveChatModel: candidates must be an array, got ${describeValue(candidates)}.`)
  const wantsObject = typeof fallback === 'object' && fallback !== null
  for (const c of candidates) {
    const isObject = typeof c === 'object' && c !== null
    const id = cleanModelId(isObject ? c.model : c)
    if (!id) continue
    if (!wantsObject) return id
    return { model: id, source: isObject ? String(c.source) : 'candidate' }
  }
  if (!wantsObject) {
    if (typeof fallback !== 'string') throw new ValidationError(`resolveChatModel: fallback must be a model id or { source, model }, got ${describeValue(fallback)}.`)
    return fallback
  }
  const model = cleanModelId(fallback.model)
  if (!model) throw new ValidationError(`resolveChatModel: fallback.model must be a non-blank model id, got ${describeValue(fallback.model)}.`)
  return { model, source: String(fallback.source) }
}

function describeValue(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v
}

/**
 * Verdict of {@link validateChatModelId}: the admitted id, or why it was refused.
 * `error` is a message (`new ConfigError(v.error)` takes it); `code` says whether the
 * id was bad (`validation`) or the catalog could not be read (`config`).
 * @stable
 */
export type ModelValidationResult =
  | { succeeded: true; value: string }
  | { succeeded: false; error: string; code: 'validation' | 'config'; cause?: unknown }

/** Seed name of {@link ModelValidationResult}. @stable */
export type ChatModelValidation = ModelValidationResult

/** Options of {@link validateChatModelId}. @stable */
export interface ValidateChatModelIdOptions {
  /** Ids admitted without a catalog lookup. */
  allowlist?: readonly string[]
  /** Router to ask; default {@link resolveRouterBaseUrl}(). */
  routerBaseUrl?: string
  /** Catalog source; default {@link getModels} against the router. */
  loadModels?: () => Promise<RouterModel[]>
  fetchImpl?: FetchLike
  apiKey?: string
}

const MODEL_ID = /^[A-Za-z0-9._/@:-]+$/
const MAX_MODEL_ID = 200

/**
 * Admits a model id a caller asked for, failing closed: well-formed, then on the
 * allowlist or in the router catalog (as `id` or `provider/id`). An unreachable
 * catalog refuses the id rather than letting it through.
 * @stable
 * @example
 * const v = await validateChatModelId(body.model, { allowlist: ['openai/gpt-4o-mini'] })
 * if (!v.succeeded) throw new ConfigError(v.error)
 */
export async function validateChatModelId(id: unknown, options: ValidateChatModelIdOptions = {}): Promise<ModelValidationResult> {
  const value = cleanModelId(id)
  if (!value) return { succeeded: false, code: 'validation', error: 'Model id must be a non-empty string.' }
  if (value.length > MAX_MODEL_ID || !MODEL_ID.test(value)) {
    return { succeeded: false, code: 'validation', error: `Model id is malformed: ${value.slice(0, MAX_MODEL_ID)}` }
  }
  if (options.allowlist?.includes(value)) return { succeeded: true, value }
  let models: RouterModel[]
  try {
    models = options.loadModels
      ? await options.loadModels()
      : await getModels(options.routerBaseUrl ?? resolveRouterBaseUrl(), { fetchImpl: options.fetchImpl, apiKey: options.apiKey })
  } catch (err) {
    return { succeeded: false, code: 'config', error: `Could not validate model catalog: ${errorMessage(err)}`, cause: err }
  }
  const known = new Set<string>()
  for (const m of models) {
    known.add(m.id)
    if (m.provider) known.add(`${m.provider}/${m.id}`)
  }
  if (known.has(value)) return { succeeded: true, value }
  return { succeeded: false, code: 'validation', error: `Model is not available: ${value}` }
}
