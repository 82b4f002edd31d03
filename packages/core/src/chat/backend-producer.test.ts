import { chatProducerFromBackend, handleChatTurn } from '@tangle-network/agent-runtime-core'
import { createScriptedBackend } from '@tangle-network/agent-runtime-core/testing'
import { describe, expect, it } from 'vitest'
import { readAll, readLines } from '../../test/support/chat.js'

const identity = { tenantId: 'acme', sessionId: 's1', userId: 'u1', turnIndex: 0 }

describe('chatProducerFromBackend', () => {
  it('streams backend events as {type, data}, hands the message on, and persists the joined text', async () => {
    const backend = createScriptedBackend({
      turns: (input) => [
        { type: 'text_delta', text: `you said: ` },
        { type: 'text_delta', text: input.message ?? '' },
        { type: 'llm_call', model: 'scripted', tokensIn: 3, tokensOut: 2 },
      ],
    })
    const persisted: string[] = []
    const turn = handleChatTurn({
      identity,
      hooks: { produce: (ctx) => chatProducerFromBackend({ backend, message: 'hi' }, ctx), persistAssistantMessage: async ({ finalText }) => void persisted.push(finalText) },
    })
    const events = await readAll(turn.body)
    expect(events.slice(1, -1)).toEqual([
      { type: 'text_delta', data: { text: 'you said: ' } },
      { type: 'text_delta', data: { text: 'hi' } },
      { type: 'llm_call', data: { model: 'scripted', tokensIn: 3, tokensOut: 2 } },
    ])
    expect(persisted).toEqual(['you said: hi'])
    expect(backend.calls[0]).toMatchObject({ message: 'hi', task: { id: 'acme:s1:0', intent: 'chat.turn' } })
  })

  it('prefers the final event text over the deltas', async () => {
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'draft' }, { type: 'final', status: 'completed', reason: 'done', text: 'clean answer' }]] })
    const persisted: string[] = []
    await readAll(
      handleChatTurn({ identity, hooks: { produce: (ctx) => chatProducerFromBackend({ backend }, ctx), persistAssistantMessage: async ({ finalText }) => void persisted.push(finalText) } })
        .body,
    )
    expect(persisted).toEqual(['clean answer'])
  })

  it('fails the turn after forwarding a non-recoverable backend_error', async () => {
    const backend = createScriptedBackend({ turns: [[{ type: 'backend_error', backend: 'scripted', message: 'HTTP 429', recoverable: false }]] })
    const events = await readAll(handleChatTurn({ identity, hooks: { produce: (ctx) => chatProducerFromBackend({ backend }, ctx), persistAssistantMessage: async () => {} } }).body)
    expect(events.map((e) => e.type)).toEqual(['session.run.started', 'backend_error', 'error', 'session.run.failed'])
    expect(events.at(-1)).toMatchObject({ data: { reason: 'producer', message: 'backend scripted failed: HTTP 429' } })
  })

  it('passes the turn signal to the backend, so a client cancel stops it', async () => {
    const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'a' }, { type: 'text_delta', text: 'b' }]], delayMs: 60_000 })
    const turn = handleChatTurn({ identity, hooks: { produce: (ctx) => chatProducerFromBackend({ backend }, ctx), persistAssistantMessage: async () => {} } })
    const reader = turn.body.getReader()
    await readLines(reader, 1)
    const pending = reader.read()
    await reader.cancel()
    await pending
    expect(await turn.done).toEqual({ status: 'cancelled', executionId: 'acme:s1:0' })
  })

  it('rejects something that is not a backend with a ValidationError', () => {
    const ctx = { signal: new AbortController().signal, identity, executionId: 'x' }
    expect(() => chatProducerFromBackend({ backend: {} as never }, ctx)).toThrowError(
      expect.objectContaining({ code: 'validation', message: 'chatProducerFromBackend: input.backend must be an AgentExecutionBackend (an object with stream()).' }),
    )
  })
})
