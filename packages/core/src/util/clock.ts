/** A source of "now" in epoch milliseconds; injected so the engine stays deterministic in tests. @stable */
export type Clock = () => number

/** A source of unique ids. @stable */
export type IdSource = () => string

/** The wall clock. @stable */
export const systemClock: Clock = () => Date.now()

/** A random UUID from Web Crypto (Node 20+, Bun, Deno, Workers). @stable */
export const randomUuid: IdSource = () => globalThis.crypto.randomUUID()

/** `n` random base-36 characters from Web Crypto. @stable */
export function randomBase36(n = 8): string {
  const bytes = new Uint8Array(n)
  globalThis.crypto.getRandomValues(bytes)
  let out = ''
  for (const b of bytes) out += (b % 36).toString(36)
  return out
}

/** ISO-8601 string of an epoch-ms clock reading. @stable */
export function isoNow(clock: Clock = systemClock): string {
  return new Date(clock()).toISOString()
}
