import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'analyst-loop-example-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('examples/analyst-loop', () => {
  it('records traces in SQLite, prints findings and the diff, applies the high-confidence write and withholds the low one', { timeout: 120_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/analyst-loop/main.ts', dir], { cwd: ROOT, timeout: 110_000 })
    expect(stdout.trim().split('\n')).toEqual([
      'runs: 8 recorded in traces.db (3 failed)',
      'findings (audit-2):',
      '  [medium 0.63] error:TimeoutError 1 of 4 runs hit TimeoutError (e.g. "TimeoutError: search_docs took 30s")',
      '  [medium 0.63] tool:returns_api   tool returns_api failed in 1 of 4 runs',
      '  [high 0.93] knowledge          the agent does not know the refund window',
      '  [low 0.60] knowledge          shipping answers are vague',
      'diff vs audit-1: 2 new, 1 resolved, 2 persisting',
      '  + tool:returns_api   tool returns_api failed in 1 of 4 runs',
      '  + knowledge          the agent does not know the refund window',
      '  - tool:orders        tool orders failed in 1 of 4 runs',
      '  = error:TimeoutError 1 of 4 runs hit TimeoutError (e.g. "TimeoutError: search_docs took 30s")',
      '  = knowledge          shipping answers are vague',
      'knowledge: 1 applied, 1 withheld for review, 0 rejected',
      '  applied  knowledge/refund-window.md',
      '  withheld Shipping takes "3 to 5 business days" in the EU. (confidence 0.6 is below the knowledge threshold 0.85)',
    ])
    const kb = join(dir, 'support-agent', 'knowledge')
    expect(readFileSync(join(kb, 'refund-window.md'), 'utf8')).toContain('> Refunds are accepted within 30 days of delivery.')
    expect(existsSync(join(kb, 'shipping-times.md'))).toBe(false)
    const db = new Database(join(dir, 'traces.db'), { readonly: true })
    try {
      const runs = db.prepare('SELECT run_id, status FROM agent_runtime_trace_runs ORDER BY started_at').all() as { run_id: string; status: string }[]
      expect(runs.map((r) => r.run_id)).toEqual(['yesterday-alice', 'yesterday-bob', 'yesterday-carol', 'yesterday-dan', 'today-erin', 'today-frank', 'today-gina', 'today-hank'])
      const events = db.prepare("SELECT COUNT(*) AS n FROM agent_runtime_trace_events WHERE run_id = 'today-erin' AND type = 'tool_result'").get() as { n: number }
      expect(events.n).toBe(1)
      const saved = db.prepare('SELECT run_id FROM agent_runtime_findings_runs ORDER BY created_at').all()
      expect(saved).toEqual([{ run_id: 'audit-1' }, { run_id: 'audit-2' }])
    } finally {
      db.close()
    }
  })
})
