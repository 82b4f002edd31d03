import { ConfigError, createDefaultBackend, resolveDefaultBackendConfig, resolveRouterBaseUrl } from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).code).toBe('config')
    return err as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('default backend from the environment', () => {
  it('prefers the Tangle router when TANGLE_API_KEY is set, with gpt-4o-mini by default', () => {
    expect(resolveDefaultBackendConfig({ TANGLE_API_KEY: 'tk', OPENAI_API_KEY: 'ok' })).toEqual({
      provider: 'openai-compat',
      baseUrl: 'https://router.tangle.tools/v1',
      model: 'gpt-4o-mini',
      apiKey: 'tk',
      kind: 'tcloud',
    })
  })

  it('uses OpenAI when only OPENAI_API_KEY is set, honouring MODEL_NAME and OPENAI_BASE_URL', () => {
    expect(resolveDefaultBackendConfig({ OPENAI_API_KEY: 'ok', MODEL_NAME: 'gpt-4.1', OPENAI_BASE_URL: 'http://localhost:11434/v1/' })).toEqual({
      provider: 'openai',
      baseUrl: 'http://localhost:11434/v1',
      model: 'gpt-4.1',
      apiKey: 'ok',
      kind: 'openai',
    })
  })

  it('lets MODEL_PROVIDER override the choice, and an explicit model override MODEL_NAME', () => {
    expect(resolveDefaultBackendConfig({ TANGLE_API_KEY: 'tk', OPENAI_API_KEY: 'ok', MODEL_PROVIDER: 'openai' }).provider).toBe('openai')
    expect(resolveDefaultBackendConfig({ TANGLE_API_KEY: 'tk', MODEL_PROVIDER: 'router', MODEL_NAME: 'a' }, { model: 'b' }).model).toBe('b')
  })

  it('uses the same router host as resolveRouterBaseUrl, TANGLE_ROUTER_URL first', () => {
    const env = { TANGLE_API_KEY: 'k', TANGLE_ROUTER_URL: 'https://a.example/v1/', TANGLE_ROUTER_BASE_URL: 'https://b.example' }
    expect(resolveRouterBaseUrl(env)).toBe('https://a.example')
    expect(resolveDefaultBackendConfig(env).baseUrl).toBe('https://a.example/v1')
    expect(resolveDefaultBackendConfig({ TANGLE_API_KEY: 'k' }).baseUrl).toBe(`${resolveRouterBaseUrl({})}/v1`)
  })

  it('normalises TANGLE_ROUTER_BASE_URL to end in an API version', () => {
    expect(resolveDefaultBackendConfig({ TANGLE_API_KEY: 'k', TANGLE_ROUTER_BASE_URL: 'https://r.example/' }).baseUrl).toBe('https://r.example/v1')
    expect(resolveDefaultBackendConfig({ TANGLE_API_KEY: 'k', TANGLE_ROUTER_BASE_URL: 'https://r.example/v1' }).baseUrl).toBe('https://r.example/v1')
  })

  it('throws ConfigError naming the variables to set when no key is configured', () => {
    const err = configError(() => createDefaultBackend({ MODEL_NAME: 'x', TANGLE_API_KEY: '  ' }))
    expect(err.message).toMatch(/^No model backend is configured: set TANGLE_API_KEY \(Tangle router\) or OPENAI_API_KEY \(OpenAI\)/)
  })

  it('throws ConfigError for an unknown provider or a provider without its key', () => {
    expect(configError(() => createDefaultBackend({ MODEL_PROVIDER: 'azure', OPENAI_API_KEY: 'k' })).message).toMatch(/MODEL_PROVIDER="azure" is not a known provider; use "openai-compat"/)
    expect(configError(() => createDefaultBackend({ MODEL_PROVIDER: 'openai', TANGLE_API_KEY: 'k' })).message).toMatch(/selects OpenAI, which needs OPENAI_API_KEY/)
    expect(configError(() => createDefaultBackend({ MODEL_PROVIDER: 'openai-compat', OPENAI_API_KEY: 'k' })).message).toMatch(/selects the Tangle router, which needs TANGLE_API_KEY/)
  })

  it('builds a backend of the chosen kind, passing options through', () => {
    expect(createDefaultBackend({ TANGLE_API_KEY: 'k' }).kind).toBe('tcloud')
    expect(createDefaultBackend({ OPENAI_API_KEY: 'k' }, { kind: 'mine', temperature: 0 }).kind).toBe('mine')
  })
})
