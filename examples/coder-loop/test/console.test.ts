import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

describe('pnpm demo -- --console', () => {
  it('serves the loop console over the demo run (tree, verdicts, failed checks) until SIGINT', async () => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/coder-loop/main.ts', '--console', '--port', '0'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TMPDIR: process.env.TMPDIR ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d
        if (stdout.includes('console still serving at')) resolve()
      })
      child.on('close', (code) => reject(new Error(`demo exited ${code} before serving: ${stderr}`)))
    })
    try {
      expect(stdout).toContain('outcome: as expected')
      const runUrl = /console: (http:\/\/127\.0\.0\.1:\d+\/runs\/\S+)/.exec(stdout)?.[1]
      expect(runUrl).toBeDefined()
      const html = await (await fetch(runUrl!)).text()
      const text = html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')
      expect(text).toContain('driver fanout-vote')
      expect(text).toContain('decision pick-winner')
      expect(text).toMatch(/iteration 0 coder:fix-bug ok winner/)
      expect(text).toMatch(/iteration 1 coder:leak-secret bad[\s\S]*✗ secretFloor/)
      expect(text).toMatch(/iteration 2 coder:do-nothing bad[\s\S]*✗ noop/)
      const runs = await (await fetch(new URL('/', runUrl!))).text()
      expect(runs).toContain('coder-loop demo')
    } finally {
      child.kill('SIGINT')
    }
    expect(await exited).toBe(0)
  }, 120_000)
})
