import { defineConversation, slugifySpeaker, turnId } from '@tangle-network/agent-runtime-conversations'
import { ValidationError } from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { echoBackend } from './backends.js'

const p = (name: string) => ({ name, backend: echoBackend(name) })

function failure(fn: () => unknown): ValidationError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError)
    expect((e as ValidationError).code).toBe('validation')
    return e as ValidationError
  }
  throw new Error('expected a ValidationError')
}

describe('defineConversation', () => {
  it('defaults turnOrder to alternate for two participants and round-robin for more', () => {
    expect(defineConversation({ participants: [p('a'), p('b')], policy: { maxTurns: 2 } }).policy.turnOrder).toBe('alternate')
    expect(defineConversation({ participants: [p('a'), p('b'), p('c')], policy: { maxTurns: 2 } }).policy.turnOrder).toBe('round-robin')
  })

  it('refuses every misconfiguration with a message naming the value', () => {
    const cases: [() => unknown, string][] = [
      [() => defineConversation({ participants: [p('a')], policy: { maxTurns: 1 } }), 'defineConversation: a conversation needs at least 2 participants, got 1.'],
      [() => defineConversation({ participants: [p('a'), p(' ')], policy: { maxTurns: 1 } }), 'defineConversation: participant at index 1 has a blank name; give every participant a non-empty unique name.'],
      [() => defineConversation({ participants: [p('a'), p('a')], policy: { maxTurns: 1 } }), 'defineConversation: duplicate participant name "a"; names address speakers and must be unique.'],
      [() => defineConversation({ participants: [p('a'), { name: 'b', backend: { kind: 'x' } as never }], policy: { maxTurns: 1 } }), 'defineConversation: participant "b" has no backend with a stream() method; pass an AgentExecutionBackend.'],
      [() => defineConversation({ participants: [p('a'), p('b')], policy: { maxTurns: 0 } }), 'defineConversation: policy.maxTurns must be a positive integer, got 0.'],
      [() => defineConversation({ participants: [p('a'), p('b')], policy: { maxTurns: 1.5 } }), 'defineConversation: policy.maxTurns must be a positive integer, got 1.5.'],
      [() => defineConversation({ participants: [p('a'), p('b')], policy: { maxTurns: 1, maxCreditsCents: -1 } }), 'defineConversation: policy.maxCreditsCents must be a finite number >= 0, got -1.'],
      [() => defineConversation({ participants: [p('a'), p('b')], policy: { maxTurns: 1, maxCreditsCents: Number.POSITIVE_INFINITY } }), 'defineConversation: policy.maxCreditsCents must be a finite number >= 0, got Infinity.'],
      [() => defineConversation({ participants: [p('a'), p('b'), p('c')], policy: { maxTurns: 1, turnOrder: 'alternate' } }), "defineConversation: turnOrder 'alternate' needs exactly 2 participants, got 3; use 'round-robin' or a function."],
      [() => defineConversation({ participants: [p('a'), p('b')], policy: { maxTurns: 1, turnOrder: 'random' as never } }), `defineConversation: unknown turnOrder "random"; use 'alternate', 'round-robin' or a function.`],
      [() => defineConversation({ participants: [p('a'), { ...p('b'), authSource: 'user' as never }], policy: { maxTurns: 1 } }), `defineConversation: participant "b" has authSource "user"; use 'forward-user', 'agent-owned' or a function.`],
      [() => defineConversation({ participants: [p('a'), { ...p('b'), callPolicy: { maxRetries: -1 } }], policy: { maxTurns: 1 } }), 'defineConversation: participant "b" callPolicy.maxRetries must be a non-negative integer, got -1.'],
      [() => defineConversation({ participants: [p('a'), p('b')], policy: { maxTurns: 1, defaultCallPolicy: { circuitBreaker: { failuresToOpen: 0, cooldownMs: 5 } } } }), 'defineConversation: policy.defaultCallPolicy.circuitBreaker.failuresToOpen must be a positive integer, got 0.'],
      [() => defineConversation({ participants: [p('a'), p('b')], policy: { maxTurns: 1, haltOn: 'yes' as never } }), 'defineConversation: policy.haltOn must be a function.'],
    ]
    for (const [fn, message] of cases) expect(failure(fn).message).toBe(message)
  })
})

describe('turnId and slugifySpeaker', () => {
  it('slugifies names deterministically', () => {
    expect(slugifySpeaker('Alice')).toBe('alice')
    expect(slugifySpeaker('Émile Zola!')).toBe('emile-zola')
    expect(slugifySpeaker('  --Dr. Who--  ')).toBe('dr-who')
    expect(slugifySpeaker('ﬁnance_bot 2')).toBe('finance_bot-2')
    expect(slugifySpeaker('日本語')).toBe('anon')
    expect(slugifySpeaker('')).toBe('anon')
    expect(turnId('run_1', 3, 'Alice Smith')).toBe('run_1.t3.alice-smith')
  })

  it('property: a slug is header-safe, lowercase, without leading, trailing or doubled dashes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (name) => {
        const slug = slugifySpeaker(name)
        expect(slug).toMatch(/^[a-z0-9_]+(-[a-z0-9_]+)*$/)
        expect(slugifySpeaker(name)).toBe(slug)
      }),
    )
  })
})
