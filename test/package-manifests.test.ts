/**
 * Packaging rules every published package.json keeps: MIT with its LICENSE
 * file packed, where the code and issues live, caret ranges for runtime
 * dependencies, `@opentelemetry/api` as a peer (one API instance per app), and
 * dependencies that match what the non-test sources import. `bin/check-packages.sh`
 * lints the packed tarballs with publint and arethetypeswrong on top of this.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const REPO = 'https://github.com/tangle-network/agent-runtime'

interface Manifest {
  name: string
  private?: boolean
  license?: string
  files?: string[]
  repository?: { type?: string; url?: string; directory?: string }
  homepage?: string
  bugs?: { url?: string }
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
}

const published = readdirSync(join(ROOT, 'packages'))
  .filter((dir) => existsSync(join(ROOT, 'packages', dir, 'package.json')))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(ROOT, 'packages', dir, 'package.json'), 'utf8')) as Manifest }))
  .filter(({ manifest }) => !manifest.private)

/**
 * Declared dependencies that no source imports yet because the package is a
 * placeholder whose code is being written in parallel issues (MCP server,
 * improvement, analyst loop). Remove an entry once its package imports it.
 */
const PENDING_USE: Record<string, string[]> = {
  '@tangle-network/agent-runtime-mcp': ['@modelcontextprotocol/sdk', 'zod', '@tangle-network/agent-runtime-sandbox-local'],
  '@tangle-network/agent-runtime-improvement': ['@tangle-network/agent-runtime-core'],
  '@tangle-network/agent-runtime-analyst-loop': ['@tangle-network/agent-runtime-core'],
}

/** Test helpers and suites still under src/ (moving out in issue 10 part 4); no entry point ships them. */
const TEST_HELPER = /(-test-(client|helpers)|\.conformance)\.ts$/

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path))
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !TEST_HELPER.test(name)) out.push(path)
  }
  return out
}

/** Package names imported by code (not comments) in a package's non-test sources. */
function importedPackages(dir: string): Set<string> {
  const names = new Set<string>()
  const builtins = new Set(builtinModules)
  for (const file of sourceFiles(join(ROOT, 'packages', dir, 'src'))) {
    const code = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line))
      .join('\n')
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'([^'.\n][^'\n]*)'/gm)) {
      const spec = m[1]!
      if (spec.startsWith('node:') || builtins.has(spec)) continue
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!)
    }
  }
  return names
}

describe('published package manifests', () => {
  it('finds the published packages', () => {
    expect(published.map((p) => p.manifest.name)).toContain('@tangle-network/agent-runtime')
    expect(published.length).toBeGreaterThanOrEqual(7)
  })

  for (const { dir, manifest } of published) {
    describe(manifest.name, () => {
      it('is MIT, with the LICENSE file beside it and packed', () => {
        expect(manifest.license).toBe('MIT')
        expect(readFileSync(join(ROOT, 'packages', dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'))
        expect(manifest.files).toContain('LICENSE')
        expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/)
      })

      it('says where its code, docs and issues live', () => {
        expect(manifest.repository).toEqual({ type: 'git', url: `git+${REPO}.git`, directory: `packages/${dir}` })
        expect(manifest.homepage).toBe(`${REPO}/tree/main/packages/${dir}#readme`)
        expect(manifest.bugs).toEqual({ url: `${REPO}/issues` })
      })

      it('takes caret ranges for runtime and peer dependencies', () => {
        for (const [name, range] of Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies })) {
          expect(range, `${name}@${range}`).toMatch(/^(\^\d|workspace:\^$)/)
        }
      })

      it('declares exactly the packages its sources import (OpenTelemetry API as a peer)', () => {
        const imported = importedPackages(dir)
        imported.delete(manifest.name)
        const deps = Object.keys(manifest.dependencies ?? {})
        const peers = Object.keys(manifest.peerDependencies ?? {})
        for (const name of imported) expect([...deps, ...peers], `${manifest.name} imports ${name}`).toContain(name)
        const pending = PENDING_USE[manifest.name] ?? []
        for (const name of deps) if (!pending.includes(name)) expect([...imported], `${manifest.name} declares ${name} but never imports it`).toContain(name)
        if (imported.has('@opentelemetry/api')) {
          expect(deps).not.toContain('@opentelemetry/api')
          expect(manifest.peerDependencies?.['@opentelemetry/api']).toMatch(/^\^1\./)
          expect(manifest.devDependencies?.['@opentelemetry/api']).toMatch(/^\d/)
        }
      })
    })
  }

  it('pins the root devDependencies exactly', () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest
    for (const [name, range] of Object.entries(root.devDependencies ?? {})) expect(range, name).toMatch(/^(\d|workspace:)/)
  })
})
