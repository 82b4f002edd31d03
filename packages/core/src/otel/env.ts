/** Environment variables as a plain map; the engine never reads `process` directly. @experimental */
export type OtelEnv = Record<string, string | undefined>

/**
 * The process environment when there is one (Node, Bun, Deno's node compat),
 * else an empty map, so Workers and browsers do not crash on `process`.
 * @experimental
 * @example
 * const env = defaultEnv()
 */
export function defaultEnv(): OtelEnv {
  const proc = (globalThis as { process?: { env?: OtelEnv } }).process
  return proc && typeof proc === 'object' && proc.env && typeof proc.env === 'object' ? proc.env : {}
}

/**
 * A non-empty trimmed value of `env[name]`, else undefined.
 * @experimental
 * @example
 * envValue({ A: ' x ' }, 'A') // 'x'
 */
export function envValue(env: OtelEnv, name: string): string | undefined {
  const v = env[name]
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined
}

/**
 * Parses the OTLP header list format `k=v,k2=v2` (values may be URL-encoded);
 * malformed pairs are skipped.
 * @experimental
 * @example
 * parseOtlpHeaders('authorization=Bearer%20abc,x-team=ai') // { authorization: 'Bearer abc', 'x-team': 'ai' }
 */
export function parseOtlpHeaders(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (!value) return out
  for (const pair of value.split(',')) {
    const eq = pair.indexOf('=')
    if (eq <= 0) continue
    const key = pair.slice(0, eq).trim()
    const raw = pair.slice(eq + 1).trim()
    if (!key) continue
    let decoded = raw
    try {
      decoded = decodeURIComponent(raw)
    } catch {
      // keep the raw value when it is not valid percent-encoding
    }
    out[key] = decoded
  }
  return out
}
