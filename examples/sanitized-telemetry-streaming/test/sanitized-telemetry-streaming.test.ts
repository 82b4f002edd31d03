import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/sanitized-telemetry-streaming', () => {
  it('ships every event to the sink while the run streams, with lengths but no customer data', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'examples/sanitized-telemetry-streaming/main.ts'],
      { cwd: ROOT, timeout: 120_000 },
    )
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('user saw: Refunding order 8812 to DE44 5001 0517 5407 3249 31.')
    expect(lines[1]).toBe('sink got 12 lines, 12 of them before the run ended:')
    const sinkLines = lines.slice(2, 14)
    expect(sinkLines.map((l) => JSON.parse(l).type)).toEqual([
      'task_start',
      'readiness_start',
      'readiness_end',
      'session_created',
      'backend_start',
      'llm_call',
      'text_delta',
      'tool_call',
      'text_delta',
      'backend_error',
      'task_end',
      'final',
    ])
    expect(sinkLines).toContain('  {"type":"tool_call","toolName":"issue_refund","toolCallId":"r1","hasArgs":true}')
    expect(JSON.parse(sinkLines[11]!)).toMatchObject({ status: 'failed', textLength: 52, error: { status: 503, bodyLength: 41 } })
    // Everything after what the user saw is telemetry: none of it may carry the account or order number.
    expect(lines.slice(1).join('\n')).not.toMatch(/DE44|8812|5407/)
    expect(lines.at(-1)).toBe('account number in telemetry: no')
  })
})
