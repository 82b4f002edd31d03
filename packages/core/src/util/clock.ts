/** A source of "now" in epoch milliseconds; injected so the engine stays deterministic in tests. @stable */
export type Clock = () => number

/** A source of unique ids. @stable */
export type IdSource = () => string

/**
 * The wall clock.
 * @stable
 * @example
 * const startedAt = systemClock()
 */
export const systemClock: Clock = () => Date.now()

/**
 * A random UUID from Web Crypto (Node 20+, Bun, Deno, Workers).
 * @stable
 * @example
 * const runId = `conv_${randomUuid()}`
 */
export const randomUuid: IdSource = () => globalThis.crypto.randomUUID()

/**
 * A uniform random number in [0, 1) from Web Crypto: the default jitter source
 * wherever the engine spreads delays.
 * @stable
 * @example
 * const spread = base * (2 * randomUnit() - 1)
 */
export const randomUnit = (): number => globalThis.crypto.getRandomValues(new Uint32Array(1))[0]! / 0x1_0000_0000

/**
 * `n` random base-36 characters from Web Crypto.
 * @stable
 * @example
 * randomBase36(8) // e.g. 'k3x9q0ab'
 */
export function randomBase36(n = 8): string {
  const bytes = new Uint8Array(n)
  globalThis.crypto.getRandomValues(bytes)
  let out = ''
  for (const b of bytes) out += (b % 36).toString(36)
  return out
}

/**
 * ISO-8601 string of an epoch-ms clock reading.
 * @stable
 * @example
 * isoNow(() => 0) // '1970-01-01T00:00:00.000Z'
 */
export function isoNow(clock: Clock = systemClock): string {
  return new Date(clock()).toISOString()
}
