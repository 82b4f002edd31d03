import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import {
  appendRunLog,
  type BudgetLedger,
  betterSqlite3ToSqlAdapter,
  createSqlBudgetLedger,
  type KillSwitch,
  pgToSqlAdapter,
  type RunLogEntry,
  stateHalted,
} from '@tangle-network/agent-runtime-core'

/**
 * Writes a file atomically: a temp file beside it, then a rename, so a
 * reader (or a crash) never sees half a file.
 * @experimental
 * @example
 * writeFileAtomic('STATE.md', renderStateMd(view))
 */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}.tmp`
  writeFileSync(tmp, text)
  renameSync(tmp, path)
}

/**
 * Appends entries to `loop-run-log.md` atomically, pruning entries older than 30 days.
 * @experimental
 * @example
 * appendRunLogFile('loop-run-log.md', [{ ts: new Date().toISOString(), outcome: 'noop' }], Date.now())
 */
export function appendRunLogFile(path: string, entries: readonly RunLogEntry[], nowMs: number): void {
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : undefined
  writeFileAtomic(path, appendRunLog(existing, entries, nowMs))
}

/** Where the kill-switch looks. @experimental */
export interface KillSwitchOptions {
  /** Default `.agent-runtime/KILL` under `root`. */
  file?: string
  /** Environment variable that, when set to anything but ``/`0`/`false`, halts. Default `AGENT_RUNTIME_KILL`. */
  envVar?: string
  /** `STATE.md` whose `halt: true` halts. */
  statePath?: string
  env?: Record<string, string | undefined>
}

/**
 * The kill-switch of the loop runner: a file (default
 * `<root>/.agent-runtime/KILL`), an environment variable, or `halt: true` in
 * `STATE.md`. Read afresh on every check, so it stops a run in flight.
 * @experimental
 * @example
 * const breaker = createBudgetBreaker({ ledger, killSwitch: createKillSwitch(process.cwd(), { statePath: 'STATE.md' }) })
 */
export function createKillSwitch(root: string, options: KillSwitchOptions = {}): KillSwitch {
  const file = options.file ?? join(root, '.agent-runtime', 'KILL')
  const envVar = options.envVar ?? 'AGENT_RUNTIME_KILL'
  const env = options.env ?? process.env
  return () => {
    if (existsSync(file)) return `kill-switch file ${file} exists`
    const v = env[envVar]
    if (v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false') return `environment variable ${envVar}=${v}`
    if (options.statePath && existsSync(options.statePath) && stateHalted(readFileSync(options.statePath, 'utf8'))) return `halt: true in ${options.statePath}`
    return false
  }
}

/** A ledger plus how to close it. @experimental */
export interface OpenLedger {
  ledger: BudgetLedger
  close(): Promise<void>
  describe: string
}

/**
 * Opens the budget ledger: PostgreSQL for a `postgres://` URL, else a SQLite
 * file (default `.agent-runtime/ledger.db`).
 * @experimental
 * @example
 * const { ledger, close } = await openBudgetLedger(process.env.DATABASE_URL ?? '.agent-runtime/ledger.db')
 */
export async function openBudgetLedger(target: string, options: { table?: string } = {}): Promise<OpenLedger> {
  if (/^postgres(ql)?:\/\//.test(target)) {
    const pg = (await import('pg')).default
    const pool = new pg.Pool({ connectionString: target, max: 2 })
    return { ledger: createSqlBudgetLedger(pgToSqlAdapter(pool), options), close: () => pool.end(), describe: 'postgresql' }
  }
  mkdirSync(dirname(target), { recursive: true })
  const Database = (await import('better-sqlite3')).default
  const db = new Database(target)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 10000')
  return {
    ledger: createSqlBudgetLedger(betterSqlite3ToSqlAdapter(db), options),
    close: async () => void db.close(),
    describe: target,
  }
}

/**
 * Runs git and resolves with stdout; rejects with git's stderr.
 * @experimental
 * @example
 * const head = await git('/repo', ['rev-parse', 'HEAD'])
 */
export function git(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, maxBuffer: 64 << 20, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')} failed in ${cwd}: ${String(stderr).trim() || err.message}`))
      else resolve(String(stdout))
    })
  })
}
