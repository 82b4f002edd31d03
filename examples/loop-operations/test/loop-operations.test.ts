import { spawn } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const HERE = join(import.meta.dirname, '..')
const ROOT = join(HERE, '..', '..')
const BIN = join(ROOT, 'packages/agent-runtime/src/bin/loop.ts')
// Resolved from the repository so the bin can run with any cwd (the temp repositories).
const TSX = import.meta.resolve('tsx')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

/** A fresh git repository holding the example's registry.yaml. */
function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'loop-ops-example-'))
  dirs.push(dir)
  const g = (...args: string[]) => execFileSync('git', args, { cwd: dir })
  g('init', '-q', '-b', 'main')
  copyFileSync(join(HERE, 'registry.yaml'), join(dir, 'registry.yaml'))
  cpSync(join(HERE, 'loops'), join(dir, 'loops'), { recursive: true })
  writeFileSync(join(dir, 'README.md'), '# sample\n')
  g('add', '-A')
  g('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'init')
  return dir
}

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

describe('examples/loop-operations: agent-runtime-loop run daily-triage --level L2 --dry-run', () => {
  it('prints the tick report and the budget line, writes the state spine, and leaves the repository as it was', async () => {
    const dir = repo()
    const before = execFileSync('git', ['for-each-ref'], { cwd: dir, encoding: 'utf8' })
    const res = await runBin(['run', 'daily-triage', '--level', 'L2', '--dry-run'], dir)
    expect(res.stderr).not.toContain('Error')
    expect(res.code).toBe(0)
    expect(res.stdout).toBe(
      [
        'Ran 1 tick(s) of Daily Triage [L2] via mock backend (dry-run):',
        'tick 1: act (accept) — 5000 tokens',
        '· triage decision: act',
        '· proposed change touching src/example.ts',
        '· verifier verdict: accept',
        '· committed: safe + allowlisted (throwaway branch, removed after the dry run)',
        'Budget: 5,000 / 100,000 tokens spent today.',
        '',
      ].join('\n'),
    )
    expect(res.stderr).toContain('tick 1/1: triage')
    expect(readFileSync(join(dir, 'STATE.md'), 'utf8')).toContain('halt: false')
    expect(readFileSync(join(dir, 'loop-run-log.md'), 'utf8')).toContain('"outcome":"committed"')
    expect(existsSync(join(dir, '.agent-runtime', 'ledger.db'))).toBe(true)
    expect(execFileSync('git', ['for-each-ref'], { cwd: dir, encoding: 'utf8' })).toBe(before)
    expect(execFileSync('git', ['worktree', 'list'], { cwd: dir, encoding: 'utf8' }).trim().split('\n')).toHaveLength(1)
  }, 120_000)
})
