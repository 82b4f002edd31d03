/**
 * Opens the stores the loop runner and the MCP server write, for the console
 * (Node only): SQLite files under `.agent-runtime/` by default, PostgreSQL
 * when `DATABASE_URL` is set.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { betterSqlite3ToSqlAdapter, createSqlRuntimeRunAdapter, pgToSqlAdapter, type SqlAdapter } from '@tangle-network/agent-runtime-core'
import { createSqlTraceStore, type SqlTraceStore } from '@tangle-network/agent-runtime-core/agent'
import { createKillSwitch, openBudgetLedger } from '../node-io.js'
import { loadLoopRegistry } from '../patterns.js'
import { buildPlan } from '../plan.js'
import type { ConsoleBudgetPattern, ConsoleKillSwitch, ConsoleStores } from './stores.js'

/** Default SQLite file of the loop trace store, relative to the working directory. @experimental */
export const DEFAULT_TRACE_DB = '.agent-runtime/traces.db'

/** A trace store plus how to close it. @experimental */
export interface OpenedTraceStore {
  traces: SqlTraceStore
  close(): Promise<void>
  describe: string
}

/**
 * Opens and migrates the loop trace store: PostgreSQL for a `postgres://`
 * URL, else a SQLite file (created with its folder when missing).
 * @experimental
 * @example
 * const { traces, close } = await openTraceStore(process.env.DATABASE_URL ?? '.agent-runtime/traces.db')
 */
export async function openTraceStore(target: string): Promise<OpenedTraceStore> {
  const { sql, close } = await openSql(target)
  const traces = createSqlTraceStore(sql)
  await traces.migrate().catch(async (err) => {
    await close()
    throw err
  })
  return { traces, close, describe: /^postgres/.test(target) ? 'postgresql' : `sqlite:${target}` }
}

/**
 * The file kill-switch of the loop runner (`<root>/.agent-runtime/KILL`) as
 * the console drives it: engaging writes the file with the reason.
 * @experimental
 * @example
 * const killSwitch = fileKillSwitch(process.cwd())
 * await killSwitch.engage('stopped from the console')
 */
export function fileKillSwitch(root: string, options: { env?: Record<string, string | undefined> } = {}): ConsoleKillSwitch {
  const file = join(root, '.agent-runtime', 'KILL')
  const check = createKillSwitch(root, { file, statePath: join(root, 'STATE.md'), ...(options.env ? { env: options.env } : {}) })
  return {
    async status() {
      const on = await check()
      return typeof on === 'string' ? on : on ? 'on' : false
    },
    async engage(reason) {
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, `${reason}\n`)
    },
    clearHint: `delete ${file}`,
  }
}

async function openSql(target: string): Promise<{ sql: SqlAdapter; close(): Promise<void> }> {
  if (/^postgres(ql)?:\/\//.test(target)) {
    const pg = (await import('pg')).default
    const pool = new pg.Pool({ connectionString: target, max: 2 })
    return { sql: pgToSqlAdapter(pool), close: () => pool.end() }
  }
  mkdirSync(dirname(target), { recursive: true })
  const Database = (await import('better-sqlite3')).default
  const db = new Database(target)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 10000')
  return { sql: betterSqlite3ToSqlAdapter(db), close: async () => void db.close() }
}

async function openRunRows(target: string) {
  const { sql, close } = await openSql(target)
  const adapter = createSqlRuntimeRunAdapter(sql)
  await adapter.migrate().catch(async (err) => {
    await close()
    throw err
  })
  return { adapter, close }
}

/** Options of {@link openConsoleStores}. @experimental */
export interface OpenConsoleStoresOptions {
  /** Where `.agent-runtime/`, `STATE.md` and `registry.yaml` live. Default `process.cwd()`. */
  cwd?: string
  env?: Record<string, string | undefined>
  /** Show the runtime run rows (`agent_runtime_runs`) of this workspace: from `DATABASE_URL`, else `AGENT_RUNTIME_RUNS_DB` (default `.agent-runtime/runs.db`). */
  workspace?: string
  /** registry.yaml whose patterns (and caps) the budget page shows. Default `<cwd>/registry.yaml` when present. */
  registry?: string
}

/** The opened stores, how to close them, and where they live (for the startup line). @experimental */
export interface OpenedConsoleStores {
  stores: ConsoleStores
  close(): Promise<void>
  describe: string
}

/**
 * Opens every store the console shows: traces, delegations, the budget
 * ledger (with the patterns of registry.yaml and their daily caps) and the
 * file kill-switch.
 * @experimental
 * @example
 * const { stores, close } = await openConsoleStores({ cwd: process.cwd(), env: process.env })
 */
export async function openConsoleStores(options: OpenConsoleStoresOptions = {}): Promise<OpenedConsoleStores> {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const url = env.DATABASE_URL?.trim()
  const closers: (() => Promise<void>)[] = []
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined)
  }
  try {
    const traces = await openTraceStore(url || resolve(cwd, env.AGENT_RUNTIME_TRACE_DB?.trim() || DEFAULT_TRACE_DB))
    closers.push(traces.close)
    // Loaded on use, so importing the cli never loads the MCP server package.
    const { openDelegationStore } = await import('@tangle-network/agent-runtime-mcp')
    const delegations = await openDelegationStore({ env, cwd })
    closers.push(() => delegations.store.close())
    const ledger = await openBudgetLedger(url || join(cwd, '.agent-runtime', 'ledger.db'))
    closers.push(ledger.close)
    const registryFile = options.registry ? resolve(cwd, options.registry) : join(cwd, 'registry.yaml')
    const patterns: ConsoleBudgetPattern[] = []
    if (options.registry || existsSync(registryFile)) {
      for (const p of loadLoopRegistry(registryFile).patterns) {
        const plan = buildPlan(p)
        patterns.push({ id: p.id, name: p.name ?? p.id, ...(plan.dailyTokenCap !== undefined ? { dailyTokenCap: plan.dailyTokenCap } : {}) })
      }
    }
    const runRows = options.workspace ? await openRunRows(url || resolve(cwd, env.AGENT_RUNTIME_RUNS_DB?.trim() || '.agent-runtime/runs.db')) : undefined
    if (runRows) closers.push(runRows.close)
    return {
      stores: {
        traces: traces.traces,
        delegations: delegations.store,
        budget: { ledger: ledger.ledger, patterns },
        killSwitch: fileKillSwitch(cwd, { env }),
        ...(runRows && options.workspace ? { runRows: { workspaceId: options.workspace, adapter: runRows.adapter } } : {}),
      },
      close: closeAll,
      describe: `traces ${traces.describe} · delegations ${delegations.describe} · ledger ${ledger.describe}`,
    }
  } catch (err) {
    await closeAll()
    throw err
  }
}
