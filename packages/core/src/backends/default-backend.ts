import { resolveRouterBaseUrl } from '../models/model-resolution.js'
import type { AgentExecutionBackend } from '../contracts/backend.js'
import { ConfigError } from '../errors.js'
import { createOpenAICompatibleBackend, type OpenAICompatibleBackendOptions } from './openai-compatible.js'

/** Model used when neither the options nor `MODEL_NAME` name one. @stable */
export const DEFAULT_CHAT_MODEL = 'gpt-4o-mini'
/** The Tangle router's OpenAI-compatible base URL. @stable */
export const DEFAULT_TANGLE_ROUTER_CHAT_BASE_URL = 'https://router.tangle.tools/v1'
/** OpenAI's base URL. @stable */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1'

/**
 * Environment read by {@link createDefaultBackend}: `process.env`, or a
 * Workers `env` (non-string bindings in it are ignored).
 * @stable
 */
export type DefaultBackendEnv = Readonly<Record<string, unknown>>

/** Which provider {@link resolveDefaultBackendConfig} picked, and with what. @stable */
export interface DefaultBackendConfig {
  provider: 'openai-compat' | 'openai'
  baseUrl: string
  model: string
  apiKey: string
  kind: string
}

const ROUTER_NAMES = new Set(['openai-compat', 'openai-compatible', 'tangle', 'router', 'tcloud'])

const nonBlank = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)

/**
 * The router's chat base: the same host `resolveRouterBaseUrl` picks for the
 * model catalog (`TANGLE_ROUTER_URL`, then `TANGLE_ROUTER_BASE_URL`, then the
 * default), plus an API version, because `/chat/completions` is appended to it.
 */
function routerBaseUrl(env: DefaultBackendEnv): string {
  const host = resolveRouterBaseUrl({ TANGLE_ROUTER_URL: nonBlank(env.TANGLE_ROUTER_URL), TANGLE_ROUTER_BASE_URL: nonBlank(env.TANGLE_ROUTER_BASE_URL) })
  return /\/v\d+$/.test(host) ? host : `${host}/v1`
}

/**
 * Resolves the README's defaults without building a backend: model from
 * `MODEL_NAME` (default `gpt-4o-mini`); provider from `MODEL_PROVIDER`
 * (`openai-compat`/`tangle`/`router` or `openai`), else the Tangle router when
 * `TANGLE_API_KEY` is set (base `TANGLE_ROUTER_URL` or `TANGLE_ROUTER_BASE_URL`, default
 * `https://router.tangle.tools/v1`), else OpenAI when `OPENAI_API_KEY` is set
 * (base `OPENAI_BASE_URL`, default `https://api.openai.com/v1`). Throws
 * {@link ConfigError} naming the variables to set when no key is available.
 * @stable
 * @example
 * resolveDefaultBackendConfig({ TANGLE_API_KEY: 'sk-…' }).provider // → 'openai-compat'
 */
export function resolveDefaultBackendConfig(env: DefaultBackendEnv, overrides: { model?: string } = {}): DefaultBackendConfig {
  const model = nonBlank(overrides.model) ?? nonBlank(env.MODEL_NAME) ?? DEFAULT_CHAT_MODEL
  const tangleKey = nonBlank(env.TANGLE_API_KEY)
  const openaiKey = nonBlank(env.OPENAI_API_KEY)
  const requested = nonBlank(env.MODEL_PROVIDER)?.toLowerCase()
  let provider: DefaultBackendConfig['provider']
  if (requested !== undefined) {
    if (ROUTER_NAMES.has(requested)) provider = 'openai-compat'
    else if (requested === 'openai') provider = 'openai'
    else {
      throw new ConfigError(`MODEL_PROVIDER=${JSON.stringify(env.MODEL_PROVIDER)} is not a known provider; use "openai-compat" (the Tangle router, needs TANGLE_API_KEY) or "openai" (needs OPENAI_API_KEY)`)
    }
  } else if (tangleKey) provider = 'openai-compat'
  else if (openaiKey) provider = 'openai'
  else {
    throw new ConfigError(
      'No model backend is configured: set TANGLE_API_KEY (Tangle router) or OPENAI_API_KEY (OpenAI), optionally MODEL_PROVIDER and MODEL_NAME, or pass a backend explicitly',
    )
  }
  if (provider === 'openai-compat') {
    if (!tangleKey) throw new ConfigError(`MODEL_PROVIDER=${requested} selects the Tangle router, which needs TANGLE_API_KEY; set it or use MODEL_PROVIDER=openai with OPENAI_API_KEY`)
    return { provider, baseUrl: routerBaseUrl(env), model, apiKey: tangleKey, kind: 'tcloud' }
  }
  if (!openaiKey) throw new ConfigError(`MODEL_PROVIDER=${requested} selects OpenAI, which needs OPENAI_API_KEY; set it or use MODEL_PROVIDER=openai-compat with TANGLE_API_KEY`)
  const baseUrl = (nonBlank(env.OPENAI_BASE_URL) ?? DEFAULT_OPENAI_BASE_URL).replace(/\/+$/, '')
  return { provider, baseUrl, model, apiKey: openaiKey, kind: 'openai' }
}

/**
 * Builds the backend the README's "Defaults" describe, from environment
 * variables (see {@link resolveDefaultBackendConfig}). `env` defaults to
 * `process.env` where there is one. Other options pass through to
 * {@link createOpenAICompatibleBackend}.
 * @stable
 * @example
 * const backend = createDefaultBackend(process.env)
 */
export function createDefaultBackend(
  env?: DefaultBackendEnv,
  options: Partial<Omit<OpenAICompatibleBackendOptions, 'apiKey' | 'baseUrl'>> = {},
): AgentExecutionBackend {
  const source = env ?? (globalThis as { process?: { env?: DefaultBackendEnv } }).process?.env ?? {}
  const config = resolveDefaultBackendConfig(source, { model: options.model })
  return createOpenAICompatibleBackend({ kind: config.kind, ...options, apiKey: config.apiKey, baseUrl: config.baseUrl, model: config.model })
}
