import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = 'packages/agent-runtime/src/bin/loop.ts'
const dir = mkdtempSync(join(tmpdir(), 'loop-bin-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function config(name: string, source: string): string {
  const file = join(dir, name)
  writeFileSync(file, source)
  return file
}

function runBin(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const researchConfig = `
export default async function registry() {
  return {
    research: async () => ({ accepted: ['a passage'], vetoed: [], rounds: 1 }),
    code: async () => { throw new Error('no candidate passed its tests') },
  }
}
`

describe.concurrent('agent-runtime-loop bin (child process)', () => {
  it('exits 0 and prints the result as indented JSON', async () => {
    const cfg = config('ok.mjs', researchConfig)
    const res = await runBin(['--mode', 'research', '--config', cfg])
    expect(res.code).toBe(0)
    expect(JSON.parse(res.stdout)).toMatchObject({ mode: 'research', ok: true, output: { accepted: ['a passage'], rounds: 1 } })
    expect(res.stdout).toContain('\n  "ok": true')
  })

  it('accepts the = forms and a path relative to the cwd, and exits 1 when the loop fails', async () => {
    const cfg = config('fail.mjs', researchConfig)
    const res = await runBin(['--mode=code', `--config=${relative(ROOT, cfg)}`])
    expect(res.code).toBe(1)
    expect(JSON.parse(res.stdout)).toMatchObject({ mode: 'code', ok: false, error: 'no candidate passed its tests' })
  })

  it('exits 2 with usage when arguments are missing', async () => {
    const res = await runBin(['--mode', 'research'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('usage: agent-runtime-loop --mode')
  })

  it('exits 2 when the config cannot be loaded', async () => {
    const res = await runBin(['--mode', 'research', '--config', join(dir, 'does-not-exist.mjs')])
    expect(res.code).toBe(2)
    expect(JSON.parse(res.stderr).error).toMatch(/^failed to load registry: Cannot find module/)
  })

  it('exits 2 for an unknown mode and for a mode the config does not register', async () => {
    const cfg = config('modes.mjs', researchConfig)
    const unknown = await runBin(['--mode', 'deploy', '--config', cfg])
    expect(unknown.code).toBe(2)
    expect(JSON.parse(unknown.stderr)).toEqual({ error: "unknown mode 'deploy' (expected one of: code, review, research, dynamic)" })
    const unregistered = await runBin(['--mode', 'dynamic', '--config', cfg])
    expect(unregistered.code).toBe(2)
    expect(JSON.parse(unregistered.stderr)).toEqual({ error: "config registers no runner for mode 'dynamic' (registered: code, research)" })
  })
})
