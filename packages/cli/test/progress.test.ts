import { rmSync } from 'node:fs'
import { LOOP_CLI_EXIT, runLoopCli } from '@tangle-network/agent-runtime-cli'
import { afterAll, describe, expect, it } from 'vitest'
import { gitRepo } from './bin-helpers.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function sinks(tty: boolean) {
  const out = { stdout: '', stderr: '' }
  return {
    out,
    io: (cwd: string) => ({
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s), isTTY: tty },
      cwd,
      env: { AGENT_RUNTIME_LOOP_NOW: '2026-05-01T10:00:00Z' },
      version: '0.0.0-test',
    }),
  }
}

describe('progress on stderr', () => {
  it('is a live line (carriage return, clear) on a terminal', async () => {
    const dir = gitRepo(dirs)
    const { out, io } = sinks(true)
    expect(await runLoopCli(['run', 'daily-triage', '--level', 'L1', '--dry-run', '--ticks', '2'], io(dir))).toBe(LOOP_CLI_EXIT.ok)
    expect(out.stderr.startsWith('\r\x1b[2Ktick 1/2: triage')).toBe(true)
    expect(out.stderr.split('\n')).toHaveLength(2)
    expect(out.stdout).toContain('Ran 2 tick(s) of Daily Triage [L1] via mock backend (dry-run):')
    expect(out.stdout).toContain('· proposed only (L1 never writes the repository): gate proceed')
    expect(out.stdout).toContain('Budget: 10,000 / 12,000 tokens spent today.')
  }, 60_000)

  it('is plain lines when piped', async () => {
    const dir = gitRepo(dirs)
    const { out, io } = sinks(false)
    expect(await runLoopCli(['run', 'daily-triage', '--level', 'L0', '--dry-run', '--json'], io(dir))).toBe(LOOP_CLI_EXIT.ok)
    expect(out.stderr).not.toContain('\r')
    expect(out.stderr.trim().split('\n')).toEqual(['tick 1/1: plan only: nothing run', 'tick 1/1: planned — 0 tokens; Budget: 0 / 12,000 tokens spent today.'])
    expect(JSON.parse(out.stdout)).toMatchObject({ level: 'L0', ticks: [{ outcome: 'planned', usage: { tokens: 0 } }] })
  }, 60_000)
})
