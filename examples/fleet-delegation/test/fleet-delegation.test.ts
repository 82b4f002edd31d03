import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/fleet-delegation', () => {
  it('places candidates in sibling sandboxes without TANGLE_FLEET_ID and on the fleet machines with it', async () => {
    // The example sets TANGLE_FLEET_ID itself; a value inherited from the shell must not matter.
    const env = { ...process.env, TANGLE_FLEET_ID: 'inherited-fleet' }
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/fleet-delegation/main.ts'], {
      cwd: ROOT,
      env,
      timeout: 120_000,
    })
    const lines = stdout.split('\n').map((l) => l.trim())
    const section = (n: number) => lines.slice(lines.findIndex((l) => l.startsWith(`${n})`)), lines.findIndex((l) => l.startsWith(`${n + 1})`)))
    const first = section(1)
    expect(first).toContain('detectExecutor → sibling')
    expect(first.filter((l) => /^#\d → sibling sandbox box-[0-9a-f]+$/.test(l))).toHaveLength(2)
    expect(first).toContain('the sibling sandboxes were deleted after their iteration: yes')
    const second = section(2)
    expect(second).toContain('detectExecutor → fleet')
    expect(second).toContain('#0 → fleet fleet-demo machine worker-1')
    expect(second).toContain('#1 → fleet fleet-demo machine worker-2')
    expect(second).toContain('the winning change is already in place on worker-2: sum.mjs reads "export const sum = (a, b) => a + b"')
    expect(lines).toContain('#1 → fleet fleet-demo machine worker-2')
    expect(stdout).toContain('+export const sum = (a, b) => a + b')
    expect(lines.at(-2)).toBe('outcome: as expected (sibling without TANGLE_FLEET_ID, fleet machines with it, the coordinator never used)')
  }, 150_000)
})
