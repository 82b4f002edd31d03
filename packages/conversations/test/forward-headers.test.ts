import {
  DEFAULT_MAX_DEPTH,
  FORWARD_HEADERS,
  buildForwardHeaders,
  defineConversation,
  isDepthExceeded,
  readDepth,
  runConversation,
} from '@tangle-network/agent-runtime-conversations'
import { ValidationError } from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { echoBackend } from './backends.js'

describe('forward headers', () => {
  it('names the protocol headers in lowercase', () => {
    expect(FORWARD_HEADERS).toEqual({
      authorization: 'x-tangle-forwarded-authorization',
      depth: 'x-tangle-forwarded-depth',
      runId: 'x-tangle-runid',
      turnId: 'x-tangle-turnid',
      parentTurnId: 'x-tangle-parent-turnid',
      speaker: 'x-tangle-speaker',
    })
    expect(DEFAULT_MAX_DEPTH).toBe(4)
  })

  it('readDepth: case-insensitive, missing is 0, arrays take the first value', () => {
    expect(readDepth({})).toBe(0)
    expect(readDepth({ 'X-Tangle-Forwarded-Depth': '3' })).toBe(3)
    expect(readDepth({ 'x-tangle-forwarded-depth': ' 2 ' })).toBe(2)
    expect(readDepth({ 'X-TANGLE-FORWARDED-DEPTH': ['1', '9'] })).toBe(1)
    expect(readDepth({ 'x-tangle-forwarded-depth': undefined })).toBe(0)
  })

  it('readDepth throws ValidationError on anything but a non-negative integer', () => {
    for (const bad of ['-1', '1.5', 'abc', '', '0x2', '1e3', '99999999999999999999']) {
      let err: unknown
      try {
        readDepth({ 'x-tangle-forwarded-depth': bad })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ValidationError)
      expect((err as ValidationError).code).toBe('validation')
      expect((err as Error).message).toBe(`Invalid x-tangle-forwarded-depth header ${JSON.stringify(bad)}: expected a non-negative integer; fix the caller that set it.`)
    }
  })

  it('readDepth property: integers round-trip, every other string throws', () => {
    fc.assert(fc.property(fc.nat(), (n) => readDepth({ 'x-tangle-forwarded-depth': String(n) }) === n))
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/^\s*\d+\s*$/.test(s)),
        (s) => {
          expect(() => readDepth({ 'x-tangle-forwarded-depth': s })).toThrow(ValidationError)
        },
      ),
    )
  })

  it('isDepthExceeded is depth >= max', () => {
    expect(isDepthExceeded(3)).toBe(false)
    expect(isDepthExceeded(4)).toBe(true)
    expect(isDepthExceeded(1, 1)).toBe(true)
    expect(isDepthExceeded(0, 1)).toBe(false)
  })

  it('buildForwardHeaders increments depth and stamps this hop', () => {
    expect(buildForwardHeaders({ inboundDepth: 0, runId: 'r', turnId: 'r.t0.a', speaker: 'a' })).toEqual({
      'x-tangle-forwarded-depth': '1',
      'x-tangle-runid': 'r',
      'x-tangle-turnid': 'r.t0.a',
      'x-tangle-speaker': 'a',
    })
    expect(buildForwardHeaders({ inboundDepth: 2, runId: 'r', turnId: 't', speaker: 'Zoë', parentTurnId: 'p', forwardedAuthorization: 'Bearer sk-tan-user' })).toEqual({
      'x-tangle-forwarded-depth': '3',
      'x-tangle-runid': 'r',
      'x-tangle-turnid': 't',
      'x-tangle-speaker': 'Zo%C3%AB',
      'x-tangle-parent-turnid': 'p',
      'x-tangle-forwarded-authorization': 'Bearer sk-tan-user',
    })
    expect(() => buildForwardHeaders({ inboundDepth: -1, runId: 'r', turnId: 't', speaker: 's' })).toThrow(
      'buildForwardHeaders: inboundDepth must be a non-negative integer, got -1.',
    )
  })
})

describe('headers on participant calls', () => {
  it('sends run, turn, speaker, depth and parent headers; forwards user auth per authSource; keeps extra headers', async () => {
    const fwd = echoBackend('fwd')
    const owned = echoBackend('owned')
    const toggled = echoBackend('toggled')
    const conv = defineConversation({
      participants: [
        { name: 'fwd', backend: fwd },
        { name: 'owned', backend: owned, authSource: 'agent-owned' },
        { name: 'toggled', backend: toggled, authSource: (s) => (s.turnIndex >= 3 ? 'forward-user' : 'agent-owned') },
      ],
      policy: { maxTurns: 6 },
    })
    await runConversation(conv, {
      seed: 's',
      runId: 'h',
      inboundDepth: 1,
      parentTurnId: 'outer.t4.host',
      propagatedHeaders: {
        'X-Tangle-Forwarded-Authorization': 'Bearer sk-tan-user',
        'X-Tangle-Forwarded-Depth': '99',
        'x-tangle-runid': 'spoofed',
        traceparent: '00-abc-def-01',
      },
    })
    expect(fwd.calls[0]!.ctx.propagatedHeaders).toEqual({
      traceparent: '00-abc-def-01',
      'x-tangle-forwarded-depth': '2',
      'x-tangle-runid': 'h',
      'x-tangle-turnid': 'h.t0.fwd',
      'x-tangle-speaker': 'fwd',
      'x-tangle-parent-turnid': 'outer.t4.host',
      'x-tangle-forwarded-authorization': 'Bearer sk-tan-user',
    })
    expect(fwd.calls[0]!.ctx.parentTurnId).toBe('outer.t4.host')
    expect(owned.calls[0]!.ctx.propagatedHeaders?.['x-tangle-forwarded-authorization']).toBeUndefined()
    expect(Object.keys(owned.calls[0]!.ctx.propagatedHeaders!).some((k) => k.toLowerCase() === 'x-tangle-forwarded-authorization')).toBe(false)
    expect(toggled.calls.map((c) => c.ctx.propagatedHeaders?.['x-tangle-forwarded-authorization'])).toEqual([undefined, 'Bearer sk-tan-user'])
  })
})
