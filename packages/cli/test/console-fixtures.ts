/** A repository with real stores for the console tests and screenshots: pattern runs, delegations, ledger spend. */
import { join } from 'node:path'
import { createGitWorkspace, createScriptedTickBackend, openConsoleStores, openTraceStore, runPattern, type ScriptedTickScript } from '@tangle-network/agent-runtime-cli'
import { findPattern, loadLoopRegistry } from '@tangle-network/agent-runtime-cli'
import type { AutonomyLevel } from '@tangle-network/agent-runtime-core'
import { openDelegationStore } from '@tangle-network/agent-runtime-mcp'
import { gitRepo } from './bin-helpers.js'

/** 2026-12-01 09:00 UTC: every fixture and console in these tests shares this day. */
export const FIXTURE_NOW = Date.UTC(2026, 11, 1, 9, 0, 0)

/** Environment of a fixture: SQLite files only, never a DATABASE_URL from the caller. */
export const fixtureEnv = (dir: string): Record<string, string> => ({ AGENT_RUNTIME_DELEGATION_DB: join(dir, '.agent-runtime', 'delegations.db') })

/** Runs one pattern run into the repository's stores with a stepping clock. */
export async function recordRun(dir: string, opts: { runId: string; level?: AutonomyLevel; ticks?: number; script?: ScriptedTickScript; start?: number; dailyCap?: number }) {
  const registry = loadLoopRegistry(join(dir, 'registry.yaml'))
  const traces = await openTraceStore(join(dir, '.agent-runtime', 'traces.db'))
  let t = opts.start ?? FIXTURE_NOW
  try {
    return await runPattern({
      pattern: findPattern(registry, 'daily-triage'),
      root: dir,
      level: opts.level ?? 'L2',
      backend: createScriptedTickBackend(opts.script ?? {}),
      workspace: createGitWorkspace({ repoRoot: dir }),
      ticks: opts.ticks ?? 1,
      dryRun: true,
      clock: () => (t += 700),
      traces: traces.traces,
      runId: opts.runId,
      ...(opts.dailyCap ? { dailyCap: opts.dailyCap } : {}),
    })
  } finally {
    await traces.close()
  }
}

/** Files three delegations: one running with progress, one completed with feedback, one failed. */
export async function recordDelegations(dir: string) {
  const { store } = await openDelegationStore({ env: fixtureEnv(dir), cwd: dir })
  try {
    const at = FIXTURE_NOW
    const running = (await store.submit({ taskId: 'dlg-running', idempotencyKey: 'k1', profile: 'coder', namespace: 'acme', args: { goal: 'fix the flaky test' }, createdAt: at })).record
    const r1 = (await store.start(running.taskId, running.version, at + 10))!
    await store.progress(r1.taskId, r1.version, { progress: { iteration: 2, phase: 'review' }, costUsd: 0.0123 }, at + 20)
    const done = (await store.submit({ taskId: 'dlg-done', idempotencyKey: 'k2', profile: 'researcher', namespace: 'acme', args: { question: 'q' }, createdAt: at - 1000 })).record
    const d1 = (await store.start(done.taskId, done.version, at - 900))!
    await store.finish(d1.taskId, d1.version, { status: 'completed', output: { answer: 'pg 16 supports MERGE RETURNING' }, costUsd: 0.05 }, at - 500)
    await store.appendFeedback({ id: 'fb-1', refersTo: { kind: 'delegation', ref: 'dlg-done' }, rating: { score: 0.9, label: 'good', notes: 'cited the release notes' }, by: 'user', capturedAt: new Date(at).toISOString(), recordedAt: at })
    const failed = (await store.submit({ taskId: 'dlg-failed', idempotencyKey: 'k3', profile: 'coder', args: { goal: 'g' }, createdAt: at - 2000 })).record
    const f1 = (await store.start(failed.taskId, failed.version, at - 1900))!
    await store.finish(f1.taskId, f1.version, { status: 'failed', error: { kind: 'no-candidate', message: 'every candidate failed the tests' } }, at - 1800)
  } finally {
    await store.close()
  }
}

/** A repository with: an accepted run, a rejected run (failed checks), an L1 run (patch), and delegations. */
export async function populatedRepo(dirs: string[], registry?: string): Promise<string> {
  const dir = registry ? gitRepo(dirs, registry) : gitRepo(dirs)
  // Yesterday's runs stay under the 12,000-token cap of registry.yaml; today's is 10,000 of it.
  await recordRun(dir, { runId: 'run-rejected', script: { approve: false }, start: FIXTURE_NOW - 86_400_000 })
  await recordRun(dir, { runId: 'run-proposed', level: 'L1', start: FIXTURE_NOW - 86_400_000 + 60_000 })
  await recordRun(dir, { runId: 'run-accepted', ticks: 2 })
  await recordDelegations(dir)
  return dir
}

/** Opens the console stores of a fixture repository (SQLite). */
export const openFixtureStores = (dir: string) => openConsoleStores({ cwd: dir, env: fixtureEnv(dir) })

/** Holds each tick of a scripted run inside its implement step until the test releases it. */
export function tickGate() {
  const entered = new Map<number, () => void>()
  const enteredP = new Map<number, Promise<void>>()
  const released = new Map<number, () => void>()
  const releasedP = new Map<number, Promise<void>>()
  const slot = (map: Map<number, Promise<void>>, res: Map<number, () => void>, n: number) => {
    if (!map.has(n)) map.set(n, new Promise<void>((r) => res.set(n, r)))
    return map.get(n)!
  }
  let tick = 0
  return {
    /** Pass as `afterImplement` of the scripted backend. */
    async afterImplement() {
      const n = ++tick
      slot(enteredP, entered, n)
      entered.get(n)!()
      await slot(releasedP, released, n)
    },
    /** Resolves once tick `n` is inside its implement step; rejects naming the tick when it never gets there. */
    entered: (n: number, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`tick ${n} never reached its implement step within ${timeoutMs} ms`)), timeoutMs)
        slot(enteredP, entered, n).then(() => {
          clearTimeout(timer)
          resolve()
        })
      }),
    release(n: number) {
      slot(releasedP, released, n)
      released.get(n)!()
    },
  }
}
