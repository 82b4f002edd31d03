/**
 * model-resolution: pick a chat model and admit it fail-closed against a
 * router catalog. Without TANGLE_API_KEY it starts a local catalog server on
 * 127.0.0.1 (real HTTP, OpenAI `/v1/models` shape); with a key it asks the real
 * router (TANGLE_ROUTER_URL, or https://router.tangle.tools).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getModels, resolveChatModel, resolveRouterBaseUrl, validateChatModelId } from '@tangle-network/agent-runtime'

const apiKey = process.env.TANGLE_API_KEY
let routerBaseUrl: string
let close = async () => {}

if (apiKey) {
  routerBaseUrl = resolveRouterBaseUrl(process.env)
} else {
  const catalog = {
    object: 'list',
    data: [
      { id: 'gpt-4o-mini', provider: 'openai', object: 'model' },
      { id: 'claude-sonnet-4', provider: 'anthropic', object: 'model' },
    ],
  }
  const server = createServer((req, res) => {
    const ok = req.url === '/v1/models'
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' })
    res.end(ok ? JSON.stringify(catalog) : '{"error":"not found"}')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  // The same normalisation the real config goes through: a trailing /v1 is stripped.
  routerBaseUrl = resolveRouterBaseUrl({ TANGLE_ROUTER_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/` })
  close = () => new Promise<void>((r) => server.close(() => r()))
}

const models = await getModels(routerBaseUrl, { apiKey })
console.log(`catalog: ${models.length} models${apiKey ? ` from ${routerBaseUrl}` : ' from the local server'}`)

// A request asked for nothing, the deployment sets a default, the code has a fallback.
const chosen = resolveChatModel([undefined, '  openai/gpt-4o-mini  '], 'anthropic/claude-sonnet-4')
console.log(`resolved: ${chosen}`)

const requests = apiKey ? [chosen, 'not a model!'] : [chosen, 'anthropic/claude-sonnet-4', 'openai/gpt-9', 'not a model!', '']
for (const id of requests) {
  const verdict = await validateChatModelId(id, { routerBaseUrl, apiKey, allowlist: ['local/dev-model'] })
  console.log(verdict.succeeded ? `admit  ${verdict.value}` : `refuse ${JSON.stringify(id)}: ${verdict.error}`)
}

// Fail closed: when the catalog cannot be reached, nothing outside the allowlist is admitted.
const offline = await validateChatModelId('openai/gpt-4o-mini', { routerBaseUrl: 'http://127.0.0.1:9', allowlist: ['local/dev-model'] })
console.log(offline.succeeded ? 'admit (unexpected)' : `offline: refuse (${offline.code})`)
await close()
