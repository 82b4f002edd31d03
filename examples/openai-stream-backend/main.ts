// Streams one task through an OpenAI-compatible backend with a tool offered.
// With OPENAI_API_KEY or TANGLE_API_KEY set it talks to the real endpoint
// (createDefaultBackend reads the README's defaults); without, to a local
// stand-in server speaking the same wire format. The backend reports tool
// calls; running them is the caller's job.
import {
  type AgentExecutionBackend,
  createDefaultBackend,
  createOpenAICompatibleBackend,
  type OpenAIChatTool,
  runAgentTaskStream,
} from '@tangle-network/agent-runtime'
import { startLocalModel } from './local-model.js'

const tools: OpenAIChatTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
    },
  },
]
const pricing = { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } }

let backend: AgentExecutionBackend
let stop = async () => {}
if (process.env.OPENAI_API_KEY || process.env.TANGLE_API_KEY) {
  backend = createDefaultBackend(process.env, { tools, toolChoice: 'auto', pricing, maxTokens: 200 })
  console.log(`endpoint: real (${process.env.TANGLE_API_KEY ? 'Tangle router' : 'OpenAI'}), model ${process.env.MODEL_NAME ?? 'gpt-4o-mini'}`)
} else {
  const local = await startLocalModel()
  stop = local.close
  backend = createOpenAICompatibleBackend({ baseUrl: local.baseUrl, model: 'gpt-4o-mini', kind: 'local', tools, toolChoice: 'auto', pricing })
  console.log(`endpoint: local stand-in at ${local.baseUrl} (set OPENAI_API_KEY or TANGLE_API_KEY for a real one)`)
}

const task = { id: 'weather-1', intent: 'weather-question' }
let text = ''
try {
  for await (const ev of runAgentTaskStream({ task, backend, input: { task, message: 'What is the weather in Paris? Use the tool.' } })) {
    if (ev.type === 'text_delta') text += ev.text
    else if (ev.type === 'tool_call') console.log(`tool_call ${ev.toolName} ${JSON.stringify(ev.args)}`)
    else if (ev.type === 'llm_call') console.log(`llm_call model=${ev.model} in=${ev.tokensIn} out=${ev.tokensOut} finish=${ev.finishReason} cost=$${ev.costUsd?.toFixed(6) ?? '?'}`)
    // The upstream's own words live in the error body (kept out of the message, which telemetry logs).
    else if (ev.type === 'backend_error') console.log(`backend_error status=${ev.error?.status} ${ev.message}${ev.error?.body ? `\n  upstream: ${ev.error.body.slice(0, 300)}` : ''}`)
    else if (ev.type === 'final') {
      if (text) console.log(`text: ${text}`)
      console.log(`final ${ev.status}`)
      process.exitCode = ev.status === 'completed' ? 0 : 1
    }
  }
} finally {
  await stop()
}
