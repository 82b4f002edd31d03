import { type AgentExecutionBackend, createDefaultBackend } from '@tangle-network/agent-runtime'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

/**
 * The model behind the example: the OpenAI-compatible backend when
 * TANGLE_API_KEY or OPENAI_API_KEY is set, else a scripted backend that
 * streams a canned answer word by word (CHAT_TOKEN_DELAY_MS apart).
 */
export function exampleBackend(env: Record<string, string | undefined>): AgentExecutionBackend {
  if (env.TANGLE_API_KEY || env.OPENAI_API_KEY) return createDefaultBackend(env)
  const delayMs = Number(env.CHAT_TOKEN_DELAY_MS ?? 40)
  return createScriptedBackend({
    delayMs,
    turns: (input) => {
      const answer = `You said "${input.message ?? ''}". This answer streams word by word from a scripted backend, so you can watch NDJSON render as it arrives.`
      return answer.split(/(?<= )/).map((text) => ({ type: 'text_delta' as const, text }))
    },
  })
}
