import { createConversationBackend, defineConversation, runConversation } from '@tangle-network/agent-runtime-conversations'
import type { BackendStreamEvent } from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'
import { echoBackend, recordingBackend } from './backends.js'

describe('createConversationBackend', () => {
  it('runs a nested conversation as one participant: nested run id, depth, parent turn id, attributed text and usage', async () => {
    const x = echoBackend('x', 0.01)
    const y = echoBackend('y', 0.02)
    const panel = createConversationBackend({
      conversation: defineConversation({ participants: [{ name: 'X', backend: x }, { name: 'Y', backend: y }], policy: { maxTurns: 2 } }),
    })
    expect(panel.kind).toBe('conversation')
    const host = echoBackend('host')
    const outer = defineConversation({ participants: [{ name: 'host', backend: host }, { name: 'panel', backend: panel }], policy: { maxTurns: 2 } })
    const result = await runConversation(outer, {
      seed: 'topic',
      runId: 'top',
      propagatedHeaders: { 'x-tangle-forwarded-authorization': 'Bearer user' },
    })
    expect(result.transcript[1]).toMatchObject({ speaker: 'panel', text: '[X] x:1\n[Y] y:1\n', turnId: 'top.t1.panel' })
    // One llm_call per inner turn: 1 + 2 cents.
    expect(result.transcript[1]!.usage).toMatchObject({ costUsd: 0.03, tokensIn: 20, tokensOut: 8 })
    expect(result.spentCreditsCents).toBe(3)
    const inner = x.calls[0]!.ctx
    expect(inner.runId).toBe('top.t1.panel.conv')
    expect(inner.turnId).toBe('top.t1.panel.conv.t0.x')
    expect(inner.parentTurnId).toBe('top.t1.panel')
    expect(inner.propagatedHeaders).toMatchObject({
      'x-tangle-forwarded-depth': '2',
      'x-tangle-runid': 'top.t1.panel.conv',
      'x-tangle-parent-turnid': 'top.t1.panel',
      'x-tangle-forwarded-authorization': 'Bearer user',
    })
    expect(x.calls[0]!.input.message).toBe('host:1')
  })

  it('streams backend_start, per-turn deltas, final with the inner result, backend_end', async () => {
    const backend = createConversationBackend({
      kind: 'swarm',
      conversation: defineConversation({ participants: [{ name: 'a', backend: echoBackend('a') }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 3 } }),
    })
    const events: BackendStreamEvent[] = []
    const ctx = { task: { id: 't', intent: 'x' }, session: { id: 's', backend: 'swarm', status: 'active' as const, createdAt: '', updatedAt: '' }, turnId: 'o.t0.s' }
    for await (const e of backend.stream({ task: ctx.task, message: 'hi' }, ctx)) events.push(e)
    expect(events.map((e) => e.type)).toEqual(['backend_start', 'text_delta', 'text_delta', 'text_delta', 'final', 'backend_end'])
    const final = events[4] as Extract<BackendStreamEvent, { type: 'final' }>
    expect(final.status).toBe('completed')
    expect(final.text).toBe('[a] a:1\n[b] b:1\n[a] a:2\n')
    expect(final.reason).toBe('conversation reached max turns (3)')
    expect(final.metadata).toMatchObject({ conversationRunId: 'o.t0.s.conv', turns: 3, spentCreditsCents: 0, halted: { kind: 'max_turns', turns: 3 } })
  })

  it('reports an inner participant_error as a failed final, which fails the outer turn', async () => {
    const broken = recordingBackend(function* () {
      yield { type: 'backend_error', backend: 'm', message: 'boom', recoverable: false }
    })
    const panel = createConversationBackend({ conversation: defineConversation({ participants: [{ name: 'a', backend: broken }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 2 } }) })
    const outer = defineConversation({ participants: [{ name: 'panel', backend: panel }, { name: 'host', backend: echoBackend('host') }], policy: { maxTurns: 2 } })
    const result = await runConversation(outer, { seed: 's', runId: 'o' })
    expect(result.halted).toEqual({
      kind: 'participant_error',
      participant: 'panel',
      message: 'Participant "panel" backend "conversation" ended with status failed: participant "a" failed: Participant "a" backend "m" failed: boom',
    })
  })

  it('refuses a call that arrives at the depth limit, so a conversation cannot recurse forever', async () => {
    const participants: { name: string; backend: ReturnType<typeof createConversationBackend> }[] = []
    const conversation = defineConversation({ participants: [{ name: 'self', backend: { kind: 'lazy', stream: (i, c) => participants[0]!.backend.stream(i, c) } }, { name: 'b', backend: echoBackend('b') }], policy: { maxTurns: 1 } })
    participants.push({ name: 'self', backend: createConversationBackend({ conversation }) })
    const result = await runConversation(conversation, { seed: 's', runId: 'loop' })
    expect(result.halted.kind).toBe('participant_error')
    expect((result.halted as { message: string }).message).toContain('Nested conversation refused: forwarding depth 4 reached the limit of 4; a conversation probably contains itself.')
  })
})
