import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/model-resolution', () => {
  it('admits catalog models, refuses the rest, and fails closed offline (local catalog server)', async () => {
    const env = { ...process.env }
    delete env.TANGLE_API_KEY
    delete env.TANGLE_ROUTER_URL
    delete env.TANGLE_ROUTER_BASE_URL
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/model-resolution/main.ts'], { cwd: ROOT, env })
    expect(stdout.trim().split('\n')).toEqual([
      'catalog: 2 models from the local server',
      'resolved: openai/gpt-4o-mini',
      'admit  openai/gpt-4o-mini',
      'admit  anthropic/claude-sonnet-4',
      'refuse "openai/gpt-9": Model is not available: openai/gpt-9',
      'refuse "not a model!": Model id is malformed: not a model!',
      'refuse "": Model id must be a non-empty string.',
      'offline: refuse (config)',
    ])
  })
})
