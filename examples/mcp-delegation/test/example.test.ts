import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

function runExample(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/mcp-delegation/main.ts'], {
      cwd: repoRoot,
      // No API keys: the example must run on the embedded defaults alone.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('examples/mcp-delegation', () => {
  it('mounts the bin from the profile and drives delegate_code → delegation_status(waitMs) → completed, ending with the patch', { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await runExample()
    expect(code).toBe(0)
    const lines = stdout.split('\n')
    expect(lines[0]).toBe('mounted agent-runtime-mcp: delegate_code, delegate_feedback, delegation_status, delegation_history, delegation_cancel')
    expect(lines[1]).toMatch(/^delegate_code → dlg-[0-9a-z]+-[0-9a-z]{8} \(estimated 6 min\)$/)
    expect(lines).toContain('delegation_status → completed')
    expect(stdout).toContain('winner: candidate #0 of 1')
    expect(stdout).toContain('tests passed')
    expect(stdout).toContain('+  return items.reduce((sum, item) => sum + item.price * item.quantity, 0)')
    expect(stdout).toMatch(/delegate_feedback → fbk-/)
    // The server's one startup line names the placement and the store.
    expect(stderr).toMatch(/placement → local \(sandbox-local git worktrees; CLI agents claude-code\); store sqlite:.*delegations\.db/)
  })
})
