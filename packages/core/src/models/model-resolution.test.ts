import { type Server, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  BackendTransportError,
  ConfigError,
  DEFAULT_ROUTER_BASE_URL,
  ValidationError,
  cleanModelId,
  getModels,
  resolveChatModel,
  resolveRouterBaseUrl,
  validateChatModelId,
} from '@tangle-network/agent-runtime-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const CATALOG = { object: 'list', data: [{ id: 'gpt-4o-mini', provider: 'openai' }, { id: 'claude-sonnet-4', provider: 'anthropic' }, { id: 'local-llama' }] }

let server: Server
let base: string
const seen: Array<{ url?: string; auth?: string }> = []

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url, auth: req.headers.authorization })
    if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(CATALOG))
    } else if (req.url === '/broken/v1/models') {
      res.writeHead(502, { 'content-type': 'text/plain' })
      res.end('bad gateway')
    } else if (req.url === '/garbage/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{not json')
    } else if (req.url === '/nodata/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"object":"list"}')
    } else {
      res.writeHead(404)
      res.end()
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((r) => server.close(() => r())))

describe('resolveRouterBaseUrl', () => {
  it('prefers TANGLE_ROUTER_URL, then TANGLE_ROUTER_BASE_URL, then the default', () => {
    expect(resolveRouterBaseUrl({ TANGLE_ROUTER_URL: 'http://a', TANGLE_ROUTER_BASE_URL: 'http://b' })).toBe('http://a')
    expect(resolveRouterBaseUrl({ TANGLE_ROUTER_URL: '  ', TANGLE_ROUTER_BASE_URL: 'http://b' })).toBe('http://b')
    expect(resolveRouterBaseUrl({})).toBe(DEFAULT_ROUTER_BASE_URL)
    expect(DEFAULT_ROUTER_BASE_URL).toBe('https://router.tangle.tools')
  })
  it('strips a trailing /v1 and slashes', () => {
    expect(resolveRouterBaseUrl({ TANGLE_ROUTER_URL: 'http://h:1/v1/' })).toBe('http://h:1')
    expect(resolveRouterBaseUrl({ TANGLE_ROUTER_URL: 'http://h:1/api//' })).toBe('http://h:1/api')
  })
})

describe('getModels over HTTP', () => {
  it('GETs {base}/v1/models with the bearer key and returns data', async () => {
    const models = await getModels(`${base}/`, { apiKey: 'sk-test' })
    expect(models.map((m) => m.id)).toEqual(['gpt-4o-mini', 'claude-sonnet-4', 'local-llama'])
    expect(seen.at(-1)).toEqual({ url: '/v1/models', auth: 'Bearer sk-test' })
  })
  it('returns [] when the body has no data', async () => {
    expect(await getModels(`${base}/nodata`)).toEqual([])
  })
  it('throws BackendTransportError "router /v1/models <status>" on non-2xx', async () => {
    const err = await getModels(`${base}/broken`).catch((e) => e)
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err).toMatchObject({ code: 'config', kind: 'transport' })
    expect(err.message).toBe('router /v1/models 502')
    expect(err.status).toBe(502)
    expect(err.body).toBe('bad gateway')
  })
  it('throws on invalid JSON', async () => {
    const err = await getModels(`${base}/garbage`).catch((e) => e)
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err.message).toBe('router /v1/models returned invalid JSON (status 200)')
  })
  it('throws with status 0 when nothing listens', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const err = await getModels(`http://127.0.0.1:${port}`).catch((e) => e)
    expect(err).toBeInstanceOf(BackendTransportError)
    expect(err.status).toBe(0)
    expect(err.message).toMatch(new RegExp(`^router /v1/models unreachable at http://127\\.0\\.0\\.1:${port}/v1/models: `))
  })
  it('uses an injected fetchImpl', async () => {
    const models = await getModels('http://nowhere.invalid', { fetchImpl: async () => new Response(JSON.stringify({ data: [{ id: 'x' }, { nope: 1 }] })) })
    expect(models).toEqual([{ id: 'x' }])
  })
})

describe('resolveChatModel / cleanModelId', () => {
  it('picks the first non-blank candidate, trimmed, else the fallback', () => {
    expect(resolveChatModel([undefined, '  ', null, ' b ', 'c'], 'fb')).toBe('b')
    expect(resolveChatModel([], 'fb')).toBe('fb')
    expect(resolveChatModel([{ source: 'request', model: '  ' }, { source: 'workspace', model: ' w ' }], { source: 'default', model: 'd' })).toEqual({ model: 'w', source: 'workspace' })
    expect(resolveChatModel([{ source: 'request', model: undefined }, null], { source: 'default', model: 'd' })).toEqual({ model: 'd', source: 'default' })
    expect(resolveChatModel([' plain '], { source: 'default', model: 'd' })).toEqual({ model: 'plain', source: 'candidate' })
    expect(() => resolveChatModel('x' as never, 'fb')).toThrow(/candidates must be an array/)
    expect(() => resolveChatModel([], { source: 'default', model: ' ' })).toThrow(/fallback.model must be a non-blank/)
    expect(cleanModelId('  x ')).toBe('x')
    expect(cleanModelId('   ')).toBeUndefined()
    expect(cleanModelId(42)).toBeUndefined()
  })
})

describe('validateChatModelId', () => {
  const refused = async (id: unknown, opts: Parameters<typeof validateChatModelId>[1], cls: typeof ValidationError | typeof ConfigError, code: string, message: string) => {
    const v = await validateChatModelId(id, opts)
    expect(v.succeeded).toBe(false)
    if (v.succeeded) return
    // The verdict carries a plain message, which the matching error class takes as is.
    expect(v.error).toBe(message)
    expect(v.code).toBe(code)
    expect(new cls(v.error)).toMatchObject({ code, message })
  }

  it('refuses an empty id', async () => {
    await refused('  ', {}, ValidationError, 'validation', 'Model id must be a non-empty string.')
    await refused(undefined, {}, ValidationError, 'validation', 'Model id must be a non-empty string.')
  })
  it('refuses malformed and over-long ids', async () => {
    await refused('gpt 4; drop', {}, ValidationError, 'validation', 'Model id is malformed: gpt 4; drop')
    await refused('a'.repeat(201), {}, ValidationError, 'validation', `Model id is malformed: ${'a'.repeat(200)}`)
  })
  it('admits allowlisted ids without asking the catalog', async () => {
    const before = seen.length
    expect(await validateChatModelId(' my/model ', { allowlist: ['my/model'], routerBaseUrl: `${base}/broken` })).toEqual({ succeeded: true, value: 'my/model' })
    expect(seen.length).toBe(before)
  })
  it('admits ids in the real catalog, as id or provider/id', async () => {
    expect(await validateChatModelId('gpt-4o-mini', { routerBaseUrl: base })).toEqual({ succeeded: true, value: 'gpt-4o-mini' })
    expect(await validateChatModelId('anthropic/claude-sonnet-4', { routerBaseUrl: base })).toEqual({ succeeded: true, value: 'anthropic/claude-sonnet-4' })
    expect(await validateChatModelId('local-llama', { routerBaseUrl: base })).toEqual({ succeeded: true, value: 'local-llama' })
  })
  it('refuses ids missing from the catalog', async () => {
    await refused('openai/gpt-9', { routerBaseUrl: base }, ValidationError, 'validation', 'Model is not available: openai/gpt-9')
  })
  it('fails closed when the catalog cannot be fetched', async () => {
    await refused('gpt-4o-mini', { routerBaseUrl: `${base}/broken` }, ConfigError, 'config', 'Could not validate model catalog: router /v1/models 502')
    await refused(
      'gpt-4o-mini',
      {
        loadModels: async () => {
          throw new Error('offline')
        },
      },
      ConfigError,
      'config',
      'Could not validate model catalog: offline',
    )
  })
  it('uses the router from the environment by default', async () => {
    const prev = process.env.TANGLE_ROUTER_URL
    process.env.TANGLE_ROUTER_URL = `${base}/v1`
    try {
      expect(await validateChatModelId('gpt-4o-mini')).toEqual({ succeeded: true, value: 'gpt-4o-mini' })
    } finally {
      if (prev === undefined) delete process.env.TANGLE_ROUTER_URL
      else process.env.TANGLE_ROUTER_URL = prev
    }
  })
})
