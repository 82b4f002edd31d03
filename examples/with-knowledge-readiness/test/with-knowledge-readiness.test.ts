import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/with-knowledge-readiness', () => {
  it('blocks on a blocking gap without calling the backend, runs with a caveat, and runs once the user answered', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/with-knowledge-readiness/main.ts'], {
      cwd: ROOT,
      timeout: 120_000,
    })
    const sections = stdout.split(/^(?=\d\. )/m)
    expect(sections).toHaveLength(3)
    const [blocked, caveat, answered] = sections
    expect(blocked).toContain('decision before the run: blocked (score 0.05, blocking: filing-year)')
    expect(blocked).toContain('final: blocked')
    expect(blocked).toContain('backend called: no')
    expect(caveat).toContain('decision before the run: caveat (score 0.85, blocking: none)')
    expect(caveat).toContain('final: completed · "Review done: 2 deductions to check."')
    expect(answered).toContain('asked: Which tax year is this return for?')
    expect(answered).toContain('readiness in the run: caveat')
    expect(answered).toContain('final: completed')
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('backend calls in total: 2')
  })
})
