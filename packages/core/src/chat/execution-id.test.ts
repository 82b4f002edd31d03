import { chatTurnExecutionId, deriveExecutionId } from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

describe('deriveExecutionId', () => {
  it('joins project, session and turn with colons', () => {
    expect(deriveExecutionId({ projectId: 'legal', sessionId: 'thread-7', turnIndex: 3 })).toBe('legal:thread-7:3')
  })

  it('escapes colons and percent signs so different inputs never share an id', () => {
    expect(deriveExecutionId({ projectId: 'a:b', sessionId: 'c', turnIndex: 0 })).toBe('a%3Ab:c:0')
    expect(deriveExecutionId({ projectId: 'a', sessionId: 'b:c', turnIndex: 0 })).toBe('a:b%3Ac:0')
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.nat(), fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.nat(), (p1, s1, t1, p2, s2, t2) => {
        const same = p1 === p2 && s1 === s2 && t1 === t2
        const a = deriveExecutionId({ projectId: p1, sessionId: s1, turnIndex: t1 })
        const b = deriveExecutionId({ projectId: p2, sessionId: s2, turnIndex: t2 })
        expect(a === b).toBe(same)
      }),
      { numRuns: 500 },
    )
  })

  it('rejects empty ids and bad turn indexes with a ValidationError naming the value', () => {
    expect(() => deriveExecutionId({ projectId: '', sessionId: 's', turnIndex: 0 })).toThrowError(
      expect.objectContaining({ name: 'ValidationError', code: 'validation', message: 'deriveExecutionId: projectId must be a non-empty string, got "".' }),
    )
    expect(() => deriveExecutionId({ projectId: 'p', sessionId: 's', turnIndex: 1.5 })).toThrowError('deriveExecutionId: turnIndex must be a non-negative integer, got 1.5.')
    expect(() => deriveExecutionId({ projectId: 'p', sessionId: undefined as never, turnIndex: 0 })).toThrowError('deriveExecutionId: sessionId must be a non-empty string, got undefined.')
  })
})

describe('chatTurnExecutionId', () => {
  const identity = { tenantId: 'acme', sessionId: 's1', userId: 'u1', turnIndex: 4 }
  it('prefers identity.executionId, then projectId, then tenantId', () => {
    expect(chatTurnExecutionId({ ...identity, executionId: 'retry-key', projectId: 'p' })).toBe('retry-key')
    expect(chatTurnExecutionId({ ...identity, projectId: 'gtm' })).toBe('gtm:s1:4')
    expect(chatTurnExecutionId(identity)).toBe('acme:s1:4')
  })
})
