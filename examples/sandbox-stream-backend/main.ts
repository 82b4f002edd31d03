// Runs one task in a sandbox through createSandboxPromptBackend: the box's
// prompt stream (SSE from its sidecar) becomes runtime events, folded by the
// shared sandbox-event reducer. Without a key it uses a local stand-in
// sidecar; with TANGLE_API_KEY it uses the real sandbox API at
// SANDBOX_API_URL (default https://sandbox.tangle.tools).
import { createSandboxPromptBackend, runAgentTaskStream, type SandboxBox } from '@tangle-network/agent-runtime'
import { startLocalSidecar } from './local-sidecar.js'
import { createHttpSandboxClient } from './sandbox-client.js'

let apiUrl: string
let stopLocal = async () => {}
if (process.env.TANGLE_API_KEY) {
  // REAL SANDBOX API: creates a billable box, deletes it at the end.
  apiUrl = process.env.SANDBOX_API_URL ?? 'https://sandbox.tangle.tools'
  console.log(`sandbox: real API at ${apiUrl}`)
} else {
  const local = await startLocalSidecar()
  apiUrl = local.url
  stopLocal = local.close
  console.log(`sandbox: local stand-in at ${apiUrl} (set TANGLE_API_KEY for the real API)`)
}

const client = createHttpSandboxClient({ apiUrl, apiKey: process.env.TANGLE_API_KEY })
let box: SandboxBox | undefined
const backend = createSandboxPromptBackend({
  // One box for the whole run: created on first use, reused afterwards.
  getBox: async () => (box ??= await client.create({ name: 'agent-runtime-example', backend: { type: 'opencode' } })),
  model: process.env.MODEL_NAME ? `openai/${process.env.MODEL_NAME}` : undefined,
})

const task = { id: 'list-files', intent: 'inspect-workspace' }
let text = ''
try {
  for await (const ev of runAgentTaskStream({ task, backend, input: { task, message: 'What files are in the workspace?' } })) {
    if (ev.type === 'session_created') console.log(`session ${ev.session.id} on box ${String(ev.session.metadata?.boxId)}`)
    else if (ev.type === 'reasoning_delta') console.log(`reasoning: ${ev.text}`)
    else if (ev.type === 'tool_call') console.log(`tool_call ${ev.toolName} ${JSON.stringify(ev.args)}`)
    else if (ev.type === 'tool_result') console.log(`tool_result ${ev.toolName} ${JSON.stringify(ev.result)}`)
    else if (ev.type === 'text_delta') text += ev.text
    else if (ev.type === 'llm_call') console.log(`llm_call in=${ev.tokensIn} out=${ev.tokensOut} cost=$${ev.costUsd ?? '?'}`)
    else if (ev.type === 'backend_error') console.log(`backend_error ${ev.message}`)
    else if (ev.type === 'final') {
      console.log(`text: ${text}`)
      console.log(`final ${ev.status}`)
      process.exitCode = ev.status === 'completed' ? 0 : 1
    }
  }
} finally {
  await box?.delete?.().catch((err) => console.log(`delete failed: ${err instanceof Error ? err.message : err}`))
  await stopLocal()
}
