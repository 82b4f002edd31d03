import { lstat, realpath } from 'node:fs/promises'
import path from 'node:path'
import { ValidationError } from '@tangle-network/agent-runtime-core'

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

async function existsNoFollow(p: string): Promise<boolean> {
  try {
    await lstat(p)
    return true
  } catch {
    return false
  }
}

/**
 * Resolves `requested` against the box directory `root` (whose realpath is
 * `realRoot`) and proves the result stays inside it, both lexically (`..`)
 * and physically: the realpath of the path, or of its nearest existing
 * ancestor, must lie inside the box, so a symlink cannot lead out of it.
 * A dangling symlink on the way is rejected, since writing through it would
 * create a file wherever it points.
 *
 * This guards the `read`/`write`/`exec cwd` API only; commands run by `exec`
 * or a harness run as the same OS user and are not jailed.
 * @example
 * const abs = await resolveInBox(box.workdir, box.workdir, 'src/index.ts') // throws ValidationError for '../x'
 * @experimental
 */
export async function resolveInBox(root: string, realRoot: string, requested: string, what = 'path'): Promise<string> {
  if (typeof requested !== 'string' || requested.length === 0) {
    throw new ValidationError(`Sandbox ${what} must be a non-empty string, got ${JSON.stringify(requested)}.`)
  }
  if (requested.includes('\0')) {
    throw new ValidationError(`Sandbox ${what} ${JSON.stringify(requested)} contains a NUL byte; pass a plain relative path.`)
  }
  const resolved = path.resolve(root, requested)
  if (!isInside(root, resolved) && !isInside(realRoot, resolved)) {
    throw new ValidationError(
      `Sandbox ${what} ${JSON.stringify(requested)} escapes the box directory ${root}; use a path relative to the box root without '..'.`,
    )
  }
  // Walk up to the nearest existing ancestor and check where it really is.
  let probe = resolved
  for (;;) {
    if (await existsNoFollow(probe)) {
      let real: string
      try {
        real = await realpath(probe)
      } catch {
        throw new ValidationError(
          `Sandbox ${what} ${JSON.stringify(requested)} goes through a dangling symlink (${probe}); remove the link or use another path.`,
        )
      }
      if (!isInside(realRoot, real)) {
        throw new ValidationError(
          `Sandbox ${what} ${JSON.stringify(requested)} resolves through a symlink to ${real}, outside the box ${realRoot}; use a path inside the box.`,
        )
      }
      return resolved
    }
    const parent = path.dirname(probe)
    if (parent === probe) return resolved
    probe = parent
  }
}
