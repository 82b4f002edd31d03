/**
 * Packs every workspace package the way `npm publish` would and installs the
 * tarballs into a throwaway project outside the workspace, so callers can use
 * the packages exactly as a consumer does. Shared by `test/pack.test.ts` and
 * `bin/check-snippets.ts`.
 */
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The repository root. */
export const ROOT = join(import.meta.dirname, '..', '..')
/** Every package under `packages/`, in the order they are packed. */
export const PACKAGES = ['core', 'sandbox-local', 'conversations', 'mcp', 'improvement', 'analyst-loop', 'cli', 'worker', 'agent-runtime']

/** The parts of a package.json these scripts read. */
export type Manifest = { name: string; version: string; exports: Record<string, string | Record<string, string>>; bin?: Record<string, string> }

/** Reads `packages/<pkg>/package.json`. */
export const manifest = (pkg: string): Manifest => JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8'))

/** True when every `import`/`types` target of the package's exports map was built. */
export function isBuilt(pkg: string): boolean {
  const m = manifest(pkg)
  const targets = Object.values(m.exports).flatMap((t) => (typeof t === 'string' ? [] : [t.import, t.types].filter(Boolean)))
  return [...targets, ...Object.values(m.bin ?? {})].every((t) => existsSync(join(ROOT, 'packages', pkg, t!)))
}

/** The environment for child processes: without the workspace's script context. */
export const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(npm_(package|lifecycle|config)_|PNPM_SCRIPT|INIT_CWD)/i.test(k)),
)

/** A throwaway consumer project with the packed packages installed. */
export interface PackedProject {
  /** The temp dir holding `tarballs/` and `project/` (a real path, outside the workspace). */
  dir: string
  /** The consumer project: its `node_modules` holds the installed tarballs. */
  project: string
  /** Removes the temp dir. */
  dispose(): void
}

/** Options of {@link createPackedProject}. */
export interface PackedProjectOptions {
  /** Extra dependencies of the consumer project (name → version), e.g. `@types/node`; they must be in the local store or on the registry. */
  extraDependencies?: Record<string, string>
  /** Prefix of the temp dir name. */
  prefix?: string
  /** Progress lines (stderr in bins). */
  log?: (line: string) => void
  /**
   * Build from a fresh copy of the sources (no node_modules, no dist) in the temp dir, so a stale
   * `dist/` in the checkout can never stand in for the current code. Slower; the pack test uses it.
   */
  fresh?: boolean
}

/** Copies the workspace sources into `into` and builds every package there. */
async function buildFreshCopy(into: string, log: (line: string) => void): Promise<void> {
  log('copying the sources into a fresh workspace')
  cpSync(ROOT, into, {
    recursive: true,
    filter: (src) => !relative(ROOT, src).split(/[\\/]/).some((part) => part === 'node_modules' || part === 'dist' || part === '.git' || part.startsWith('.vitest')),
  })
  const stale = PACKAGES.filter((pkg) => existsSync(join(into, 'packages', pkg, 'dist')))
  if (stale.length) throw new Error(`fresh copy still has dist/ in ${stale.join(', ')}`)
  log('installing and building the fresh copy')
  // Scripts are skipped: building and packing need no native addon.
  await run('pnpm', ['install', '--offline', '--frozen-lockfile', '--ignore-scripts'], { cwd: into, env: childEnv, timeout: 300_000, maxBuffer: 64 << 20 })
  await run('pnpm', ['-r', '--filter', './packages/*', 'run', 'build'], { cwd: into, env: childEnv, timeout: 900_000, maxBuffer: 64 << 20 })
}

/** Builds the packages when needed, packs them and installs them into a new consumer project. */
export async function createPackedProject(options: PackedProjectOptions = {}): Promise<PackedProject> {
  const log = options.log ?? (() => {})
  if (!options.fresh && !PACKAGES.every(isBuilt)) {
    log('building the packages')
    await run('pnpm', ['-r', '--filter', './packages/*', 'run', 'build'], { cwd: ROOT, env: childEnv, timeout: 600_000, maxBuffer: 64 << 20 })
  }
  // realpath: Node reports resolved modules by their real path (tmpdir may be a symlink).
  const dir = realpathSync(mkdtempSync(join(tmpdir(), options.prefix ?? 'agent-runtime-pack-')))
  if (!relative(ROOT, dir).startsWith('..')) throw new Error(`temp dir ${dir} is inside the workspace ${ROOT}`)
  const dispose = () => rmSync(dir, { recursive: true, force: true })
  try {
    const source = options.fresh ? join(dir, 'workspace') : ROOT
    if (options.fresh) await buildFreshCopy(source, log)
    const tarballs = join(dir, 'tarballs')
    log('packing the packages')
    await Promise.all(
      PACKAGES.map((pkg) =>
        run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(source, 'packages', pkg), env: childEnv, timeout: 120_000 }),
      ),
    )
    const files = readdirSync(tarballs)
    // pnpm names a tarball `<scope>-<name>-<version>.tgz`.
    const tarball = new Map(
      PACKAGES.map((pkg) => {
        const m = manifest(pkg)
        const file = `${m.name.replace(/^@/, '').replace('/', '-')}-${m.version}.tgz`
        if (!files.includes(file)) throw new Error(`pnpm pack made no ${file} (found: ${files.join(', ')})`)
        return [m.name, `file:${join(tarballs, file)}`]
      }),
    )
    const tarballOf = (name: string) => tarball.get(name)!
    const names = PACKAGES.map((pkg) => manifest(pkg).name)
    const project = join(dir, 'project')
    mkdirSync(project)
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'pack-smoke',
        private: true,
        type: 'module',
        dependencies: { '@tangle-network/agent-runtime': tarballOf('@tangle-network/agent-runtime'), ...options.extraDependencies },
        // Siblings are not on a registry: point every internal dependency at its tarball.
        pnpm: { overrides: Object.fromEntries(names.filter((n) => n !== '@tangle-network/agent-runtime').map((n) => [n, tarballOf(n)])) },
      }),
    )
    log('installing the tarballs into a throwaway project')
    try {
      await run('pnpm', ['install', '--offline', '--ignore-workspace'], { cwd: project, env: childEnv, timeout: 180_000 })
    } catch {
      // Something was not in the local store yet: allow the registry.
      await run('pnpm', ['install', '--prefer-offline', '--ignore-workspace'], { cwd: project, env: childEnv, timeout: 180_000 })
    }
    return { dir, project, dispose }
  } catch (err) {
    dispose()
    throw err
  }
}
