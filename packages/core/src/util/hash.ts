/**
 * FNV-1a 32-bit hash of a string's UTF-16 code units, as 8 lowercase hex chars.
 * @stable
 * @example
 * fnv1a32('a') // 'e40c292c'
 */
export function fnv1a32(input: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(16).padStart(8, '0')
}

/**
 * Canonical JSON: object keys sorted, `undefined` members dropped, array order
 * kept. Equal values always give equal strings, so it is safe to hash.
 * @stable
 * @example
 * canonicalJson({ b: 1, a: [2, 1], c: undefined }) // '{"a":[2,1],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null'
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : sortKeys(v)))
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v !== undefined) out[key] = sortKeys(v)
    }
    return out
  }
  return value
}
