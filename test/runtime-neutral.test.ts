// The engine entries must run on Workers, Deno and Bun as well as Node: no
// `node:` built-in may be reachable from them. Bundling each entry from source
// for esbuild's `neutral` platform (dependencies external) fails on any such import.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const entries = [
  'packages/core/src/index.ts',
  'packages/core/src/loops/index.ts',
  'packages/core/src/profiles/index.ts',
  'packages/core/src/agent/index.ts',
  'packages/core/src/testing/index.ts',
  'packages/conversations/src/index.ts',
  'packages/analyst-loop/src/index.ts',
]

async function bundleNeutral(entry: string) {
  return build({
    entryPoints: [join(root, entry)],
    bundle: true,
    write: false,
    platform: 'neutral',
    format: 'esm',
    mainFields: ['module', 'main'],
    conditions: ['source'],
    // Only our own code is checked; third-party packages declare their own platforms.
    external: ['@opentelemetry/*', '@tangle-network/*'],
    logLevel: 'silent',
    metafile: true,
  })
}

describe('engine entries are runtime-neutral', () => {
  for (const entry of entries) {
    it(`${entry} reaches no node: built-in`, async () => {
      const result = await bundleNeutral(entry)
      const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path))
      expect(imports.filter((p) => p.startsWith('node:') || ['fs', 'path', 'child_process', 'os', 'crypto'].includes(p))).toEqual([])
    })
  }

  it('would catch a node: import (self-check)', async () => {
    const err = await build({
      stdin: { contents: "import { readFileSync } from 'node:fs'; export const x = readFileSync", resolveDir: root, loader: 'ts' },
      bundle: true,
      write: false,
      platform: 'neutral',
      logLevel: 'silent',
    }).catch((e: unknown) => e)
    expect(String(err)).toMatch(/node:fs/)
  })
})
