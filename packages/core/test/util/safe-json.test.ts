import { safeJson } from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

describe('safeJson', () => {
  it('prints BigInts as strings and cycles as [Circular], but a shared object twice', () => {
    const shared = { k: 1 }
    const cyc: Record<string, unknown> = { n: 10n, a: shared, b: shared }
    cyc.self = cyc
    expect(JSON.parse(safeJson(cyc))).toEqual({ n: '10', a: { k: 1 }, b: { k: 1 }, self: '[Circular]' })
    expect(JSON.parse(safeJson(undefined))).toBeNull()
  })

  it('always parses and matches JSON.stringify when JSON can hold the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(JSON.parse(safeJson(v))).toEqual(JSON.parse(JSON.stringify(v) ?? 'null'))
      }),
    )
    fc.assert(fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true }), (v) => void JSON.parse(safeJson(v))))
  })

  it('reports a value whose toJSON throws as an error object', () => {
    expect(JSON.parse(safeJson({ toJSON: () => { throw new Error('nope') } }))).toEqual({ error: 'result could not be serialised: nope' })
  })
})
