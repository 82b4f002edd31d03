import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { startLocalSidecar } from '../local-sidecar.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const run = (env: Record<string, string>) => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['TANGLE_API_KEY', 'SANDBOX_API_URL', 'MODEL_NAME'].includes(k)))
  return promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/sandbox-stream-backend/main.ts'], { cwd: ROOT, env: { ...clean, ...env } })
}

describe('examples/sandbox-stream-backend', () => {
  it('runs a sandbox turn against the local stand-in sidecar without a key', async () => {
    const { stdout } = await run({})
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^sandbox: local stand-in at http:\/\/127\.0\.0\.1:\d+/)
    expect(lines[1]).toMatch(/^session [0-9a-f-]{36} on box local-box-1$/)
    expect(lines.slice(2)).toEqual([
      'reasoning: Check the files first.',
      'tool_call bash {"command":"ls"}',
      'tool_result bash "README.md\\n"',
      'llm_call in=310 out=48 cost=$0.00075',
      'text: I listed the workspace for "What files are in the workspace?": one README.',
      'final completed',
    ])
  })

  it('takes the real-API path when TANGLE_API_KEY is set (pointed at a stand-in here)', async () => {
    const api = await startLocalSidecar()
    try {
      const { stdout } = await run({ TANGLE_API_KEY: 'example-key', SANDBOX_API_URL: api.url })
      expect(stdout).toContain(`sandbox: real API at ${api.url}`)
      expect(stdout.trim().split('\n').at(-1)).toBe('final completed')
    } finally {
      await api.close()
    }
  })
})
