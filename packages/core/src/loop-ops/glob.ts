/**
 * A small glob matcher for gate paths: `**` any number of segments, `*` any
 * characters within a segment, `?` one character. Paths use `/`; a pattern
 * without `/` matches the base name at any depth (like `.gitignore`).
 */

const cache = new Map<string, RegExp>()

function compile(pattern: string): RegExp {
  let re = cache.get(pattern)
  if (re) return re
  let p = pattern.replace(/\\/g, '/').replace(/^\.\//, '')
  if (!p.includes('/')) p = `**/${p}`
  if (p.endsWith('/')) p = `${p}**`
  let out = ''
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    if (c === '*' && p[i + 1] === '*') {
      const slash = p[i + 2] === '/'
      out += slash ? '(?:.*/)?' : '.*'
      i += slash ? 2 : 1
    } else if (c === '*') out += '[^/]*'
    else if (c === '?') out += '[^/]'
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  re = new RegExp(`^${out}$`, 'i')
  cache.set(pattern, re)
  return re
}

/**
 * True when `path` matches the glob `pattern` (case-insensitive).
 * @experimental
 * @example
 * matchGlob('src/auth/session.ts', '**\/auth/**') // true
 */
export function matchGlob(path: string, pattern: string): boolean {
  const clean = path.replace(/\\/g, '/').replace(/^\.\//, '')
  return compile(pattern).test(clean)
}

/**
 * The first of `patterns` that `path` matches, if any.
 * @experimental
 * @example
 * firstMatch('pnpm-lock.yaml', ['*.lock', 'pnpm-lock.yaml']) // 'pnpm-lock.yaml'
 */
export function firstMatch(path: string, patterns: readonly string[]): string | undefined {
  return patterns.find((p) => matchGlob(path, p))
}
