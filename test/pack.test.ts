/**
 * Packs every package the way `npm publish` would, installs the tarballs into a
 * throwaway project outside the workspace, and uses them the way a user does:
 * imports every subpath of @tangle-network/agent-runtime and runs the bins.
 * A broken exports map, a missing `files` entry or a workspace-only import fails here.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = join(import.meta.dirname, '..')
const PACKAGES = ['core', 'sandbox-local', 'conversations', 'mcp', 'improvement', 'analyst-loop', 'cli', 'worker', 'agent-runtime']
const SUBPATHS = ['', '/loops', '/agent', '/profiles', '/testing', '/mcp', '/improvement', '/analyst-loop', '/conversations', '/conversations/node', '/sandbox-local', '/improvement/node', '/cli', '/worker']
/** Exports each subpath must have once installed (subpaths of later issues only need to load). */
const EXPECTED: Record<string, string[]> = {
  '': ['runAgentTaskStream', 'runAgentTask', 'ValidationError', 'decideKnowledgeReadiness', 'startRuntimeRun', 'validateChatModelId', 'createIterableBackend', 'runLoopRunnerCli'],
  '/loops': ['runLoop'],
  '/profiles': ['coderProfile'],
  '/testing': ['createScriptedBackend'],
  '/conversations': ['InMemoryConversationJournal'],
  '/conversations/node': ['FileConversationJournal'],
  '/sandbox-local': ['createLocalSandboxClient'],
  '/improvement': ['optimizePrompt', 'heldOutGate', 'gepaDriver', 'runImprovementLoop', 'selfImproveLoopRunner'],
  '/improvement/node': ['createJsonlCampaignStorage', 'improvementDriver', 'createGitPrPromoter'],
  '/worker': ['createPostgresDispatcher', 'runWorker', 'patternSchedule'],
}

type Manifest = { name: string; version: string; exports: Record<string, string | Record<string, string>>; bin?: Record<string, string> }
const manifest = (pkg: string): Manifest => JSON.parse(readFileSync(join(ROOT, 'packages', pkg, 'package.json'), 'utf8'))

/** True when every `import`/`types` target of the package's exports map was built. */
function isBuilt(pkg: string): boolean {
  const m = manifest(pkg)
  const targets = Object.values(m.exports).flatMap((t) => (typeof t === 'string' ? [] : [t.import, t.types].filter(Boolean)))
  return [...targets, ...Object.values(m.bin ?? {})].every((t) => existsSync(join(ROOT, 'packages', pkg, t!)))
}

// Child processes must not inherit the workspace's script context.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_(package|lifecycle|config)_|PNPM_SCRIPT|INIT_CWD)/i.test(k)))

let dir: string
let project: string

beforeAll(async () => {
  if (!PACKAGES.every(isBuilt)) {
    await run('pnpm', ['-r', '--filter', './packages/*', 'run', 'build'], { cwd: ROOT, env, timeout: 600_000, maxBuffer: 64 << 20 })
  }
  // realpath: Node reports resolved modules by their real path (tmpdir may be a symlink).
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'agent-runtime-pack-')))
  expect(relative(ROOT, dir).startsWith('..')).toBe(true)
  const tarballs = join(dir, 'tarballs')
  await Promise.all(
    PACKAGES.map((pkg) => run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(ROOT, 'packages', pkg), env, timeout: 120_000 })),
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
  project = join(dir, 'project')
  mkdirSync(project)
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({
      name: 'pack-smoke',
      private: true,
      type: 'module',
      dependencies: { '@tangle-network/agent-runtime': tarballOf('@tangle-network/agent-runtime') },
      // Siblings are not on a registry: point every internal dependency at its tarball.
      pnpm: { overrides: Object.fromEntries(names.filter((n) => n !== '@tangle-network/agent-runtime').map((n) => [n, tarballOf(n)])) },
    }),
  )
  try {
    await run('pnpm', ['install', '--offline', '--ignore-workspace'], { cwd: project, env, timeout: 180_000 })
  } catch {
    // Something was not in the local store yet: allow the registry.
    await run('pnpm', ['install', '--prefer-offline', '--ignore-workspace'], { cwd: project, env, timeout: 180_000 })
  }
}, 900_000)

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('packed packages installed outside the workspace', () => {
  it('import every subpath from the installed tarballs, with the expected exports', async () => {
    writeFileSync(
      join(project, 'smoke.mjs'),
      `const out = {}
for (const sub of ${JSON.stringify(SUBPATHS)}) {
  const spec = '@tangle-network/agent-runtime' + sub
  const mod = await import(spec)
  out[sub] = { resolved: import.meta.resolve(spec), exports: Object.keys(mod) }
}
console.log(JSON.stringify(out))
`,
    )
    const { stdout } = await run(process.execPath, ['smoke.mjs'], { cwd: project, env, timeout: 60_000 })
    const result = JSON.parse(stdout) as Record<string, { resolved: string; exports: string[] }>
    expect(Object.keys(result)).toEqual(SUBPATHS)
    for (const sub of SUBPATHS) {
      // Resolved inside the throwaway project, from the built files, never from workspace sources.
      expect(result[sub]!.resolved).toMatch(new RegExp(`^file://${dir}/project/node_modules/.*/dist/.*\\.js$`))
      for (const name of EXPECTED[sub] ?? []) expect(result[sub]!.exports, `${sub || '.'} exports ${name}`).toContain(name)
    }
  })

  it('ship type declarations for every subpath', () => {
    const m = JSON.parse(readFileSync(join(project, 'node_modules/@tangle-network/agent-runtime/package.json'), 'utf8')) as Manifest
    for (const sub of SUBPATHS) {
      const target = m.exports[`.${sub}`] as Record<string, string>
      expect(target, `exports map has .${sub}`).toBeDefined()
      expect(existsSync(join(project, 'node_modules/@tangle-network/agent-runtime', target.types!)), `${target.types} is packed`).toBe(true)
    }
  })

  it('install both bins, and agent-runtime-loop runs a delegated loop', async () => {
    const bin = join(project, 'node_modules/.bin')
    expect(existsSync(join(bin, 'agent-runtime-loop'))).toBe(true)
    expect(existsSync(join(bin, 'agent-runtime-mcp'))).toBe(true)
    writeFileSync(join(project, 'loops.mjs'), "export default { research: async () => ({ accepted: ['a'], vetoed: [], rounds: 1 }) }\n")
    const ok = await run(join(bin, 'agent-runtime-loop'), ['--mode', 'research', '--config', 'loops.mjs'], { cwd: project, env, timeout: 60_000 })
    expect(JSON.parse(ok.stdout)).toMatchObject({ mode: 'research', ok: true, output: { accepted: ['a'] } })
    const usage = await run(join(bin, 'agent-runtime-loop'), [], { cwd: project, env, timeout: 60_000 }).catch((e) => e)
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain('usage: agent-runtime-loop')
    const mcp = await run(join(bin, 'agent-runtime-mcp'), ['--version'], { cwd: project, env, timeout: 60_000 })
    expect(mcp.stdout.trim()).toBe(manifest('agent-runtime').version)
    const worker = await run(join(bin, 'agent-runtime-worker'), ['--version'], { cwd: project, env, timeout: 60_000 })
    expect(worker.stdout.trim()).toBe(manifest('agent-runtime').version)
  })
})
