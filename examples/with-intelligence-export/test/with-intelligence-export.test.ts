import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const run = (env: Record<string, string | undefined>) =>
  promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/with-intelligence-export/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, ...env },
  })

describe('examples/with-intelligence-export', () => {
  it('prints the loop tree and the span tree its local receiver got', async () => {
    const { stdout } = await run({})
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^loop loop-[0-9a-z]{8} · driver dynamic · agents claude, codex · \d+ms · \$0\.0036 · decision done · winner #2$/)
    expect(lines.slice(1, 7)).toEqual([
      '├─ round 0 · refine · "start with one cheap draft"',
      expect.stringMatching(/^│ {2}└─ #0 claude · ✗ invalid 0\.30 · \$0\.0012 · \d+ms · 420→96 tok$/),
      '├─ round 1 · fanout ×2 · from #0 · "draft failed review; try two fixes in parallel"',
      expect.stringMatching(/^│ {2}├─ #1 codex · ✓ valid 0\.60 · /),
      expect.stringMatching(/^│ {2}└─ #2 claude · ✓ valid 0\.90 · .* ★ winner$/),
      '└─ round 2 · stop · from #2 · "variant-b passes with the best score" · → done',
    ])
    expect(stdout).toContain('winner: #2 (variant-b) · 3 iterations · sandboxes deleted: 6/6')
    expect(stdout).toMatch(/exported to http:\/\/127\.0\.0\.1:\d+\/v1\/traces/)
    expect(stdout.slice(stdout.indexOf('local receiver got'))).toBe(
      [
        'local receiver got 7 spans:',
        '  loop',
        '    loop.round',
        '      loop.iteration',
        '    loop.round',
        '      loop.iteration',
        '      loop.iteration',
        '    loop.round',
        '',
      ].join('\n'),
    )
  })

  it('exports to OTEL_EXPORTER_OTLP_ENDPOINT when it is set', async () => {
    const bodies: { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { name: string }[] }[] }[] }[] = []
    const server = createServer((req, res) => {
      let raw = ''
      req.on('data', (c) => {
        raw += c
      })
      req.on('end', () => {
        bodies.push(JSON.parse(raw))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    try {
      const { stdout } = await run({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` })
      expect(stdout).toContain(`exported to http://127.0.0.1:${port}/v1/traces`)
      expect(stdout).not.toContain('local receiver got')
      const spans = bodies.flatMap((b) => b.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)))
      expect(spans.map((s) => s.name).sort()).toEqual(['loop', 'loop.iteration', 'loop.iteration', 'loop.iteration', 'loop.round', 'loop.round', 'loop.round'])
      const service = bodies[0].resourceSpans[0].resource.attributes.find((a) => a.key === 'service.name')
      expect(service?.value.stringValue).toBe('with-intelligence-export')
    } finally {
      await new Promise<void>((r) => server.close(() => r()))
    }
  })
})
