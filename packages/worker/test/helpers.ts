/** Test helpers for the worker package: unique PostgreSQL names, worker child processes, waiting on conditions. */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'

/** The test database; trust auth on loopback. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const BIN = join(ROOT, 'packages/agent-runtime/src/bin/worker.ts')
const TSX = import.meta.resolve('tsx')
/** The scripted delegate config the worker children load. */
export const SCRIPTED_CONFIG = join(import.meta.dirname, 'fixtures', 'scripted-worker.config.ts')

/** A name no other test run uses (graphile-worker schema or table prefix). */
export function uniqueName(tag: string): string {
  return `t_i15_${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
}

/** Drops a test's graphile-worker schema and delegation tables. */
export async function dropAll(pool: pg.Pool, schema: string, prefix: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await pool.query(`DROP TABLE IF EXISTS ${prefix}_delegations`)
  await pool.query(`DROP TABLE IF EXISTS ${prefix}_feedback`)
}

/** A small pool against {@link DATABASE_URL}. */
export function createPool(max = 3): pg.Pool {
  return new pg.Pool({ connectionString: DATABASE_URL, max })
}

/** Resolves once `check` returns a value other than undefined/false; rejects with `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** One line of the scripted delegate's event file. */
export interface DelegateEvent {
  event: 'start' | 'commit' | 'aborted'
  goal: string
  pid: number
  at: number
}

/** Parses the scripted delegate's event file. */
export function readEvents(file: string): DelegateEvent[] {
  let text = ''
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [event, goal, pid, at] = line.split(' ')
      return { event: event as DelegateEvent['event'], goal: goal!, pid: Number(pid), at: Number(at) }
    })
}

/** A worker child process running the real bin. */
export interface WorkerChild {
  child: ChildProcess
  pid: number
  stderr(): string
  /** Resolves when stderr matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>
  /** SIGTERM, then the exit code and the parsed stdout summary. */
  stop(): Promise<{ code: number | null; summary: Record<string, unknown> }>
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `agent-runtime-worker --config <scripted>` against the test database. */
export function spawnWorker(env: Record<string, string>, args: string[] = ['--config', SCRIPTED_CONFIG, '--concurrency', '2']): WorkerChild {
  const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let stdout = ''
  const waiters: { pattern: RegExp; resolve: () => void }[] = []
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => {
    stderr += d
    for (const w of [...waiters]) {
      if (w.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    }
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  return {
    child,
    pid: child.pid!,
    stderr: () => stderr,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      if (pattern.test(stderr)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`worker ${child.pid}: no ${pattern} on stderr after ${timeoutMs} ms:\n${stderr}`)), timeoutMs)
        waiters.push({
          pattern,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        })
        exited.then(() => {
          clearTimeout(timer)
          if (!pattern.test(stderr)) reject(new Error(`worker ${child.pid} exited before ${pattern}:\n${stderr}`))
        })
      })
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const { code } = await exited
      const last = stdout.trim().split('\n').pop() ?? ''
      return { code, summary: last ? JSON.parse(last) : {} }
    },
  }
}
