import { ValidationError, describeValue } from '@tangle-network/agent-runtime-core'
import type { Conversation, ConversationParticipant, ConversationPolicy } from './types.js'
import type { BackendCallPolicy } from './call-policy.js'

/**
 * Validates and freezes a conversation definition, failing loud on
 * misconfiguration before any backend is called. `turnOrder` defaults to
 * `'alternate'` for two participants and `'round-robin'` otherwise.
 * @stable
 * @example
 * const conv = defineConversation({
 *   participants: [{ name: 'alice', backend: a }, { name: 'bob', backend: b }],
 *   policy: { maxTurns: 6 },
 * })
 */
export function defineConversation(input: { participants: ConversationParticipant[]; policy: ConversationPolicy }): Conversation {
  if (!input || typeof input !== 'object') throw new ValidationError('defineConversation: expected { participants, policy }.')
  const { participants, policy } = input
  if (!Array.isArray(participants) || participants.length < 2) {
    const count = Array.isArray(participants) ? participants.length : 0
    throw new ValidationError(`defineConversation: a conversation needs at least 2 participants, got ${count}.`)
  }
  const seen = new Set<string>()
  participants.forEach((p, i) => {
    if (!p || typeof p.name !== 'string' || p.name.trim() === '') {
      throw new ValidationError(`defineConversation: participant at index ${i} has a blank name; give every participant a non-empty unique name.`)
    }
    if (seen.has(p.name)) throw new ValidationError(`defineConversation: duplicate participant name "${p.name}"; names address speakers and must be unique.`)
    seen.add(p.name)
    if (!p.backend || typeof p.backend.stream !== 'function') {
      throw new ValidationError(`defineConversation: participant "${p.name}" has no backend with a stream() method; pass an AgentExecutionBackend.`)
    }
    if (p.authSource !== undefined && p.authSource !== 'forward-user' && p.authSource !== 'agent-owned' && typeof p.authSource !== 'function') {
      throw new ValidationError(`defineConversation: participant "${p.name}" has authSource ${JSON.stringify(p.authSource)}; use 'forward-user', 'agent-owned' or a function.`)
    }
    if (p.callPolicy) validateCallPolicy(p.callPolicy, `participant "${p.name}" callPolicy`)
  })
  if (!policy || typeof policy !== 'object') throw new ValidationError('defineConversation: policy is required, e.g. { maxTurns: 10 }.')
  if (!Number.isInteger(policy.maxTurns) || policy.maxTurns < 1) {
    throw new ValidationError(`defineConversation: policy.maxTurns must be a positive integer, got ${describeValue(policy.maxTurns)}.`)
  }
  if (policy.maxCreditsCents !== undefined && (typeof policy.maxCreditsCents !== 'number' || !Number.isFinite(policy.maxCreditsCents) || policy.maxCreditsCents < 0)) {
    throw new ValidationError(`defineConversation: policy.maxCreditsCents must be a finite number >= 0, got ${describeValue(policy.maxCreditsCents)}.`)
  }
  const turnOrder = policy.turnOrder ?? (participants.length === 2 ? 'alternate' : 'round-robin')
  if (turnOrder === 'alternate' && participants.length !== 2) {
    throw new ValidationError(`defineConversation: turnOrder 'alternate' needs exactly 2 participants, got ${participants.length}; use 'round-robin' or a function.`)
  }
  if (turnOrder !== 'alternate' && turnOrder !== 'round-robin' && typeof turnOrder !== 'function') {
    throw new ValidationError(`defineConversation: unknown turnOrder ${JSON.stringify(turnOrder)}; use 'alternate', 'round-robin' or a function.`)
  }
  if (policy.haltOn !== undefined && typeof policy.haltOn !== 'function') throw new ValidationError('defineConversation: policy.haltOn must be a function.')
  if (policy.defaultCallPolicy) validateCallPolicy(policy.defaultCallPolicy, 'policy.defaultCallPolicy')
  return Object.freeze({
    participants: Object.freeze(participants.map((p) => Object.freeze({ ...p }))),
    policy: Object.freeze({ ...policy, turnOrder }),
  })
}

function validateCallPolicy(policy: BackendCallPolicy, where: string): void {
  const nonNegative = (value: unknown, field: string, integer: boolean) => {
    if (value === undefined) return
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= 0 && (!integer || Number.isInteger(value))
    if (!ok) throw new ValidationError(`defineConversation: ${where}.${field} must be a ${integer ? 'non-negative integer' : 'finite number >= 0'}, got ${describeValue(value)}.`)
  }
  nonNegative(policy.maxRetries, 'maxRetries', true)
  nonNegative(policy.perAttemptDeadlineMs, 'perAttemptDeadlineMs', false)
  if (typeof policy.retryBackoffMs === 'number') nonNegative(policy.retryBackoffMs, 'retryBackoffMs', false)
  if (policy.circuitBreaker) {
    const { failuresToOpen, cooldownMs } = policy.circuitBreaker
    if (!Number.isInteger(failuresToOpen) || failuresToOpen < 1) {
      throw new ValidationError(`defineConversation: ${where}.circuitBreaker.failuresToOpen must be a positive integer, got ${describeValue(failuresToOpen)}.`)
    }
    nonNegative(cooldownMs, 'circuitBreaker.cooldownMs', false)
  }
}
