// A campaign killed with SIGKILL mid-run resumes in a new process and runs
// only the cells that had not finished: real child processes, real files.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from './helpers.js'

const WORKER = fileURLToPath(new URL('./fixtures/campaign-worker.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Runs the worker; when `killAfterDone` lines saying `done` arrived, SIGKILLs it. */
function runWorker(args: string[], killAfterDone?: number): Promise<{ lines: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', WORKER, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: string[] = []
    let buffered = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk
      const parts = buffered.split('\n')
      buffered = parts.pop()!
      lines.push(...parts)
      if (killAfterDone !== undefined && lines.filter((l) => l.startsWith('done ')).length >= killAfterDone) child.kill('SIGKILL')
    })
    child.stderr.on('data', (c) => {
      stderr += String(c)
    })
    child.on('error', reject)
    child.on('close', (code, signal) => (code !== 0 && signal === null ? reject(new Error(`worker exited ${code}: ${stderr}`)) : resolve({ lines, signal })))
  })
}

describe('a killed campaign resumes without re-running a finished cell', () => {
  for (const kind of ['jsonl', 'sqlite'] as const) {
    it(`${kind} storage: SIGKILL with cells in flight, then a fresh process finishes the rest`, { timeout: 120_000 }, async () => {
      const dir = await tempDir(`kill-${kind}`)
      try {
        const log1 = join(dir, 'exec-1.log')
        const log2 = join(dir, 'exec-2.log')
        // First run: 12 cells finish, the next ones hang in flight until the kill.
        const first = await runWorker([kind, dir, log1, '12'], 12)
        expect(first.signal).toBe('SIGKILL')
        const finishedBeforeKill = first.lines.filter((l) => l.startsWith('done ')).map((l) => l.slice(5))
        expect(finishedBeforeKill).toHaveLength(12)
        const startedBeforeKill = readFileSync(log1, 'utf8').trim().split('\n')
        expect(startedBeforeKill.length).toBeGreaterThan(12) // some were in flight when killed

        const second = await runWorker([kind, dir, log2])
        expect(second.lines.at(-1)).toBe('complete true reused 12 cells 40')
        const rerun = readFileSync(log2, 'utf8').trim().split('\n')
        expect(rerun.filter((c) => finishedBeforeKill.includes(c))).toEqual([])
        expect(rerun).toHaveLength(28)
        expect(new Set([...finishedBeforeKill, ...rerun]).size).toBe(40)
        if (kind === 'jsonl') {
          const keys = readFileSync(join(dir, 'cells.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).cellId)
          expect(keys).toHaveLength(40)
          expect(new Set(keys).size).toBe(40)
        }
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  }
})
