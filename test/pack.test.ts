/**
 * Packs every package the way `npm publish` would, installs the tarballs into a
 * throwaway project outside the workspace, and uses them the way a user does:
 * imports every subpath of @tangle-network/agent-runtime and runs the bins.
 * A broken exports map, a missing `files` entry or a workspace-only import fails here.
 * The packages are built fresh from the current sources in a temporary copy of
 * the workspace, so a stale `dist/` in the checkout can never stand in for them.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { childEnv as env, type Manifest, manifest, type PackedProject, createPackedProject } from '../bin/lib/packed-project.js'

const run = promisify(execFile)
const SUBPATHS = ['', '/loops', '/agent', '/profiles', '/testing', '/mcp', '/improvement', '/analyst-loop', '/conversations', '/conversations/node', '/sandbox-local', '/improvement/node', '/cli', '/agent/node', '/analyst-loop/node', '/worker']
/** Exports each subpath must have once installed (subpaths of later issues only need to load). */
const EXPECTED: Record<string, string[]> = {
  '': ['runAgentTaskStream', 'runAgentTask', 'ValidationError', 'decideKnowledgeReadiness', 'startRuntimeRun', 'validateChatModelId', 'createIterableBackend', 'runLoopRunnerCli', 'FileConversationJournal', 'createOtelExporter'],
  '/loops': ['runLoop'],
  '/profiles': ['coderProfile'],
  '/testing': ['createScriptedBackend'],
  '/conversations': ['InMemoryConversationJournal'],
  '/conversations/node': ['FileConversationJournal'],
  '/sandbox-local': ['createLocalSandboxClient'],
  '/improvement': ['optimizePrompt', 'heldOutGate', 'gepaDriver', 'runImprovementLoop', 'selfImproveLoopRunner'],
  '/improvement/node': ['createJsonlCampaignStorage', 'improvementDriver', 'createGitPrPromoter'],
  '/agent': ['defineAgent', 'createSandboxAct', 'createSqlTraceStore', 'exportEvalRuns'],
  '/agent/node': ['defineAgent', 'nodeFsCheck'],
  '/analyst-loop': ['runAnalystLoop', 'auditLoopRunner', 'createFailureClusterAnalyst'],
  '/analyst-loop/node': ['createPromptSurface', 'createKnowledgeSurface'],
  '/cli': ['createConsoleHandler', 'startConsoleServer', 'openConsoleStores'],
  '/worker': ['createPostgresDispatcher', 'runWorker', 'patternSchedule'],
}

let packed: PackedProject
let dir: string
let project: string

beforeAll(async () => {
  // fresh: built from a temp copy of the sources, so a stale dist/ in the checkout cannot pass for them.
  packed = await createPackedProject({ fresh: true })
  dir = packed.dir
  project = packed.project
}, 1_800_000)

afterAll(() => packed?.dispose())

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
