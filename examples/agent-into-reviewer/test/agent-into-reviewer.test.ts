import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/agent-into-reviewer', () => {
  it("feeds the writer's streamed draft to the reviewer, revises on rejection and ships on approval", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/agent-into-reviewer/main.ts'], {
      cwd: ROOT,
      timeout: 120_000,
    })
    expect(stdout.trimEnd().split('\n')).toEqual([
      'round 1 writer: Retries now back off exponentially. This fixes everything.',
      'round 1 reviewer: rejected · score 0.00 · cite the issue it fixes; do not claim it fixes everything; give the backoff bounds',
      'round 2 writer: Retries now back off exponentially (250 ms → 8 s). Fixes #412; see docs/retries.md.',
      'round 2 reviewer: approved · score 1.00',
      'shipped after 2 rounds · cost $0.0014',
    ])
  })
})
