/** `agent-runtime-loop console` through the real bin in a child process, over what `agent-runtime-loop run` recorded. */
import { spawn } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createConsoleHandler, openConsoleStores } from '@tangle-network/agent-runtime-cli'
import { afterAll, describe, expect, it } from 'vitest'
import { gitRepo, runBin } from './bin-helpers.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = join(ROOT, 'packages/agent-runtime/src/bin/loop.ts')
const TSX = import.meta.resolve('tsx')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const env = (dir: string) => ({ DATABASE_URL: '', AGENT_RUNTIME_DELEGATION_DB: join(dir, '.agent-runtime', 'delegations.db') })

describe('agent-runtime-loop console', () => {
  it('serves what `run` recorded on 127.0.0.1, prints its URL as JSON, and stops cleanly on SIGINT (exit 0)', async () => {
    const dir = gitRepo(dirs)
    const ran = await runBin(['run', 'daily-triage', '--dry-run', '--ticks', '2'], dir, env(dir))
    expect(ran.code).toBe(0)

    const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, BIN, 'console', '--port', '0'], { cwd: dir, env: { ...process.env, ...env(dir) }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)))
    const info = await new Promise<{ url: string; host: string; token: string }>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d
        if (stdout.includes('\n')) resolve(JSON.parse(stdout))
      })
      child.on('close', (code) => reject(new Error(`console exited ${code} before listening: ${stderr}`)))
    })
    try {
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(info.token).toBe('none')
      const runs = await (await fetch(info.url)).text()
      expect(runs).toMatch(/<tr data-run="daily-triage:[^"]+">/)
      expect(runs).toContain('<span class="st st-completed">completed</span>')
      expect(runs).toContain('10,000')
      const budget = (await (await fetch(`${info.url}/budget`)).text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
      expect(budget).toMatch(/Daily Triage daily-triage 10,000 12,000 2,000/)
      expect(stderr).toContain(`console at ${info.url}`)
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited).toBe(0)
    expect(stderr).toContain('console stopped')
  }, 120_000)

  it('refuses another bind without a token (exit 2, naming the flag)', async () => {
    const dir = gitRepo(dirs)
    const res = await runBin(['console', '--host', '0.0.0.0', '--port', '0'], dir, env(dir))
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('binding 0.0.0.0 needs a token (--token or AGENT_RUNTIME_CONSOLE_TOKEN)')
    const bad = await runBin(['console', '--port', 'x'], dir, env(dir))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--port must be an integer 0..65535 (0 picks a free one), got 'x'")
  }, 60_000)

  it('--mode runs get a run row too: the console lists them by mode with their outcome', async () => {
    const dir = gitRepo(dirs)
    writeFileSync(join(dir, 'loops.mjs'), "export default { research: async () => ({ accepted: ['a'] }), code: async () => { throw new Error('no candidate passed its tests') } }\n")
    expect((await runBin(['--mode', 'research', '--config', 'loops.mjs'], dir, env(dir))).code).toBe(0)
    expect((await runBin(['--mode', 'code', '--config', 'loops.mjs'], dir, env(dir))).code).toBe(1)
    const opened = await openConsoleStores({ cwd: dir, env: env(dir) })
    try {
      const res = await createConsoleHandler({ stores: opened.stores })(new Request('http://127.0.0.1:4319/'))
      const rows = [...(await res.text()).matchAll(/<tr data-run="([^"]+)">([\s\S]*?)<\/tr>/g)].map((m) => m[2]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim())
      expect(rows).toHaveLength(2)
      expect(rows.find((r) => r.includes('mode:research'))).toMatch(/mode:research completed/)
      expect(rows.find((r) => r.includes('mode:code'))).toMatch(/mode:code failed/)
    } finally {
      await opened.close()
    }
  }, 60_000)

  it('--help lists the console', async () => {
    const res = await runBin(['--help'], ROOT)
    expect(res.stdout).toContain('agent-runtime-loop console [--port 4319]')
  }, 30_000)
})
