/** Child-process helpers for the agent-runtime-loop tests: a fresh git repo and the real bin. */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = join(ROOT, 'packages/agent-runtime/src/bin/loop.ts')
const TSX = import.meta.resolve('tsx')

export const REGISTRY = `patterns:
  - id: daily-triage
    name: Daily Triage
    file: loops/daily-triage/LOOP.md
    goal: Triage and fix small things.
    cadence: "0 9 * * *"
    risk: low
    tools: [git]
    skills: [triage]
    state: STATE.md
    phases: [discover, triage, implement, verify, gate, commit]
    human_gates:
      allow: ["src/**"]
    cost:
      suggested_daily_cap: 12000
`

/** A temp git repository on branch main with a registry; returns its path. */
export function gitRepo(dirs: string[], registry = REGISTRY): string {
  const dir = mkdtempSync(join(tmpdir(), 'loop-cli-'))
  dirs.push(dir)
  const g = (...args: string[]) => execFileSync('git', args, { cwd: dir })
  g('init', '-q', '-b', 'main')
  writeFileSync(join(dir, 'registry.yaml'), registry)
  writeFileSync(join(dir, 'README.md'), '# sample\n')
  mkdirSync(join(dir, 'loops', 'daily-triage'), { recursive: true })
  writeFileSync(join(dir, 'loops', 'daily-triage', 'LOOP.md'), '---\nowner: ops\n---\n# Daily Triage\n\nFix small things.\n')
  g('add', '-A')
  g('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init')
  return dir
}

/** Runs the real bin in a child process. */
export function runBin(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}
