import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { chromium } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { startSseServer } from '../server.js'

const ROOT = join(import.meta.dirname, '..', '..', '..')

describe('examples/sse-stream', () => {
  it('streams sanitized frames with ids, readiness first, and the client reads them all', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/sse-stream/main.ts'], {
      cwd: ROOT,
      timeout: 120_000,
    })
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('GET /events → 200 text/event-stream')
    expect(lines[1]).toBe('id 0 · event readiness · retry 5000ms')
    expect(lines).toContain('id 7 · event text_delta textLength=13')
    expect(lines.at(-1)).toBe('id 11 · event final status=completed')
    expect(lines.map((l) => /^id (\d+)/.exec(l)?.[1]).filter(Boolean)).toEqual(Array.from({ length: 12 }, (_, i) => String(i)))
  })

  it("reaches a real browser's EventSource, named events and ids intact, without the document text", async () => {
    const { url, server } = await startSseServer()
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    })
    try {
      const page = await browser.newPage()
      await page.goto(`${url}/`)
      await page.waitForFunction(() => (window as unknown as { done?: boolean }).done === true, undefined, { timeout: 60_000 })
      const received = (await page.evaluate(() => (window as unknown as { received: unknown[] }).received)) as {
        event: string
        id: string
        data: Record<string, unknown>
      }[]
      expect(received.map((r) => `${r.id}:${r.event}`)).toEqual(['0:readiness', '1:task_start', '6:llm_call', '7:text_delta', '8:text_delta', '11:final'])
      expect(received.at(-1)!.data).toMatchObject({ type: 'final', status: 'completed', textLength: 23 })
      expect(JSON.stringify(received)).not.toContain('Revenue grew')
      expect(JSON.stringify(received)).not.toContain('$4.1M')
    } finally {
      await browser.close()
      server.close()
    }
  }, 120_000)
})
