/**
 * JSON that always parses: BigInts become strings, cycles become
 * `"[Circular]"`, functions and symbols are dropped, and a value that still
 * cannot be serialised becomes `{"error": …}`. Indented by 2, newline-terminated.
 * @experimental
 * @example
 * process.stdout.write(safeJson({ n: 10n })) // {"n": "10"}
 */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>()
  try {
    return `${JSON.stringify(
      value,
      function replacer(this: unknown, _key, v: unknown) {
        if (typeof v === 'bigint') return v.toString()
        if (typeof v === 'object' && v !== null) {
          if (seen.has(v)) return '[Circular]'
          seen.add(v)
        }
        return v
      },
      2,
    ) ?? 'null'}\n`
  } catch (err) {
    return `${JSON.stringify({ error: `result could not be serialised: ${err instanceof Error ? err.message : String(err)}` }, null, 2)}\n`
  }
}
