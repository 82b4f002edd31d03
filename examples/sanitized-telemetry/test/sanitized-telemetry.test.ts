import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/sanitized-telemetry', () => {
  it('keeps lengths and statuses but no customer text until payloads are opted in', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/sanitized-telemetry/main.ts'], { cwd: ROOT })
    const lines = stdout.trim().split('\n')
    const optInLine = lines.at(-1)!
    const redacted = lines.slice(0, -1).join('\n')
    expect(redacted).not.toContain('4111')
    expect(redacted).not.toContain('charged twice')
    expect(redacted).not.toContain('proxy error')
    expect(lines).toContain('  {"type":"text_delta","textLength":56}')
    expect(lines).toContain('  {"type":"tool_call","toolName":"lookup_charges","toolCallId":"t1","hasArgs":true}')
    expect(lines).toContain('event: final')
    expect(lines).toContain(
      'data: {"type":"final","timestamp":"2025-06-01T12:00:00.000Z","status":"failed","reason":"upstream 502","textLength":56,"error":{"kind":"transport","message":"upstream 502","status":502,"bodyLength":74}}',
    )
    expect(lines).toContain('card number in telemetry: no')
    expect(optInLine).toBe('with includeControlPayloads the text is kept: "My card 4111 1111 1111 1111 was charged twice"')
  })
})
