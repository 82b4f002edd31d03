import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const dir = mkdtempSync(join(tmpdir(), 'runtime-run-example-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('examples/runtime-run', () => {
  it('prints both runs and leaves their rows in the SQLite file', async () => {
    const file = join(dir, 'runs.db')
    const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/runtime-run/main.ts', file], { cwd: ROOT })
    expect(stdout.trim().split('\n')).toEqual([
      'summarise-q4:run-1   failed    calls=1 tokens=300/0 usd=0.0004 error="provider timed out"',
      'summarise-q3:run-1   completed calls=2 tokens=2100/550 usd=0.0056 summary="Q3 summary: revenue up 12%."',
    ])
    const db = new Database(file, { readonly: true })
    try {
      const rows = db.prepare('SELECT id, workspace_id, domain, status, llm_calls, error FROM agent_runtime_runs ORDER BY id').all()
      expect(rows).toEqual([
        { id: 'summarise-q3:run-1', workspace_id: 'acme', domain: 'finance', status: 'completed', llm_calls: 2, error: null },
        { id: 'summarise-q4:run-1', workspace_id: 'acme', domain: 'finance', status: 'failed', llm_calls: 1, error: 'provider timed out' },
      ])
    } finally {
      db.close()
    }
  })
})
