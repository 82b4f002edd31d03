// A small SandboxClient over fetch: the control plane creates and deletes
// boxes (`/v1/sandboxes`), and each box streams prompts from its sidecar
// (`POST /agents/run/stream`, SSE `event:`/`data:`/`id:` frames). The local
// sidecar in this folder and the real sandbox API speak the same routes.
import { BackendTransportError, parseSseStream, type SandboxBox, type SandboxClient, type SandboxEvent } from '@tangle-network/agent-runtime'

interface BoxRecord {
  id: string
  status: string
  connection?: { sidecarUrl?: string; authToken?: string }
}

async function ok(res: Response, what: string): Promise<Response> {
  if (res.ok) return res
  throw new BackendTransportError('sandbox', `${what} returned ${res.status}`, { status: res.status, body: await res.text() })
}

export function createHttpSandboxClient(options: { apiUrl: string; apiKey?: string; pollMs?: number; readyTimeoutMs?: number }): SandboxClient {
  const api = options.apiUrl.replace(/\/+$/, '')
  const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}

  async function waitRunning(record: BoxRecord): Promise<BoxRecord> {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000)
    while (record.status !== 'running') {
      if (record.status === 'failed' || Date.now() > deadline) throw new Error(`sandbox ${record.id} is ${record.status}, not running`)
      await new Promise((r) => setTimeout(r, options.pollMs ?? 2000))
      record = (await (await ok(await fetch(`${api}/v1/sandboxes/${record.id}`, { headers: auth }), 'GET sandbox')).json()) as BoxRecord
    }
    return record
  }

  function toBox(record: BoxRecord): SandboxBox {
    const sidecar = (record.connection?.sidecarUrl ?? api).replace(/\/+$/, '')
    const sidecarAuth: Record<string, string> = record.connection?.authToken ? { authorization: `Bearer ${record.connection.authToken}` } : auth
    return {
      id: record.id,
      async *streamPrompt(message, o = {}) {
        const [provider, model] = o.model?.includes('/') ? o.model.split('/', 2) : [undefined, o.model]
        const res = await fetch(`${sidecar}/agents/run/stream`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...sidecarAuth },
          body: JSON.stringify({ identifier: 'default', message, sessionId: o.sessionId, metadata: o.context, ...(model ? { backend: { model: { provider, model } } } : {}) }),
          signal: o.signal,
        })
        await ok(res, 'POST /agents/run/stream')
        if (!res.body) return
        for await (const msg of parseSseStream(res.body, { backend: 'sandbox' })) {
          let data: unknown
          try {
            data = JSON.parse(msg.data)
          } catch {
            continue // the SDK drops frames whose data is not JSON
          }
          const event: SandboxEvent = { type: msg.event ?? 'message', data: (data ?? {}) as Record<string, unknown> }
          if (msg.id !== undefined) event.id = msg.id
          yield event
        }
      },
      async delete() {
        await ok(await fetch(`${api}/v1/sandboxes/${record.id}`, { method: 'DELETE', headers: auth }), 'DELETE sandbox')
      },
    }
  }

  return {
    async create(createOptions = {}, request = {}) {
      const res = await fetch(`${api}/v1/sandboxes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(createOptions),
        signal: request.signal,
      })
      return toBox(await waitRunning((await (await ok(res, 'POST /v1/sandboxes')).json()) as BoxRecord))
    },
  }
}
