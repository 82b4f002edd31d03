import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/basic-task', () => {
  it('prints the whole event stream, ending in a completed final with the text', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/basic-task/main.ts'], { cwd: ROOT })
    const lines = stdout.trim().split('\n')
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual([
      'task_start',
      'readiness_start',
      'readiness_end',
      'session_created',
      'backend_start',
      'llm_call',
      'tool_call',
      'text_delta',
      'text_delta',
      'backend_end',
      'task_end',
      'final',
    ])
    expect(lines).toContain('session_created  session session-1 on scripted-llm')
    expect(lines.at(-1)).toBe('final            completed -> "Refunds are accepted within 30 days."')
  })
})
