import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

function runDemo(args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/coder-loop/main.ts', ...args], {
      cwd: repoRoot,
      // No API keys reach the demo: it must run on the embedded defaults alone.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('examples/coder-loop (the README demo)', () => {
  it('rejects the secret leak and the no-op, picks the real fix, prints its patch and the trace', async () => {
    const { code, stdout, stderr } = await runDemo()
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const lines = stdout.split('\n')
    // Progress while it runs: every candidate starts, runs in its own box, and gets a verdict.
    for (const name of ['coder:fix-bug', 'coder:leak-secret', 'coder:do-nothing']) {
      expect(lines.some((l) => /^\[#\d /.test(l) && l.includes(name) && l.endsWith('started'))).toBe(true)
      expect(lines.some((l) => l.includes(name) && /running in box-[0-9a-f]+$/.test(l))).toBe(true)
    }
    // The tests really ran in each worktree: the two bad candidates still fail them.
    expect(stdout).toMatch(
      /\[#1 coder:leak-secret\] REJECTED {2}score 0\.495 {2}secret-path floor: \.env; tests failed: FAIL - total multiplies price by quantity: expected 400, got 300/,
    )
    expect(stdout).toMatch(/\[#2 coder:do-nothing\] REJECTED {2}score 0\.500 {2}no-op: the patch is empty; tests failed: FAIL - total multiplies price by quantity/)
    expect(stdout).toMatch(/\[#0 coder:fix-bug\] accepted {2}score 0\.990 {2}passed: tests, typecheck, 2 changed lines of 40 allowed/)
    expect(stdout).toContain('decision: pick-winner')
    // A newcomer is told, in words, why each candidate was accepted or rejected, and what the score means.
    expect(stdout).toContain('given to 3 scripted agents, each working in its own git worktree')
    expect(stdout).toMatch(/✓ #0 coder:fix-bug +accepted: passed every check \(2 of 40 lines changed\)/)
    expect(stdout).toMatch(/✗ #1 coder:leak-secret +rejected: wrote a secret file \(\.env\), which the always-on secret-path floor forbids; the tests still fail/)
    expect(stdout).toMatch(/✗ #2 coder:do-nothing +rejected: changed nothing, and an empty patch is rejected as a no-op; the tests still fail/)
    expect(stdout).toContain('any failed check rejects one, whatever its score')
    expect(stdout).toContain('winner: coder:fix-bug (iteration #0, score 0.990)')
    expect(stdout).toContain('-  return items.reduce((sum, item) => sum + item.price, 0)\n+  return items.reduce((sum, item) => sum + item.price * item.quantity, 0)')
    expect(stdout).not.toContain('PAYMENTS_API_KEY')
    // The trace tree (renderLoopTrace): loop → round → iterations.
    expect(stdout).toMatch(/loop loop-[0-9a-z]{8} · driver fanout-vote · agents coder:fix-bug, coder:leak-secret, coder:do-nothing · .* · decision pick-winner · winner #0/)
    expect(stdout).toContain('└─ round 0 · fanout ×3')
    expect(stdout).toMatch(/├─ #0 coder:fix-bug · ✓ valid 0\.99 · .*1840→96 tok ★ winner/)
    expect(stdout).toMatch(/├─ #1 coder:leak-secret · ✗ invalid 0\.49 · .*1710→64 tok/)
    expect(stdout).toMatch(/└─ #2 coder:do-nothing · ✗ invalid 0\.50 · .*1530→40 tok/)
    expect(stdout).toContain('outcome: as expected')
  })
})
