import { errorMessage } from '../errors.js'

/**
 * JSON that always parses: BigInts become strings, cycles become
 * `"[Circular]"` (an object reached twice without a cycle prints twice), functions and symbols are dropped, and a value that still
 * cannot be serialised becomes `{"error": …}`. Indented by 2, newline-terminated.
 * @experimental
 * @example
 * process.stdout.write(safeJson({ n: 10n })) // {"n": "10"}
 */
export function safeJson(value: unknown): string {
  // The objects on the path from the root to the current value: only these make a cycle (a shared object is fine).
  const path: object[] = []
  try {
    return `${
      JSON.stringify(
        value,
        function replacer(this: unknown, _key, v: unknown) {
          while (path.length > 0 && path[path.length - 1] !== this) path.pop()
          if (typeof v === 'bigint') return v.toString()
          if (typeof v === 'object' && v !== null) {
            if (path.includes(v)) return '[Circular]'
            path.push(v)
          }
          return v
        },
        2,
      ) ?? 'null'
    }\n`
  } catch (err) {
    return `${JSON.stringify({ error: `result could not be serialised: ${errorMessage(err)}` }, null, 2)}\n`
  }
}
