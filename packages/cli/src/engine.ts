/**
 * The class-shaped API of seed 004 (`LoopEngine`, `BudgetBreaker`,
 * `MemoryStateWriter`, `MockBackend`) over the same pieces `runPattern` uses:
 * `runTick`, `createBudgetBreaker`, `createGatePolicy` and the state spine.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  type BreakerReservation,
  type BreakerStatus,
  type BreakerUsage,
  type BudgetBreakerOptions,
  type BudgetBreaker as BudgetBreakerShape,
  createBudgetBreaker,
  createGatePolicy,
  createMemoryBudgetLedger,
  formatBudgetLine,
  type LoopStateView,
  type RunLogEntry,
  renderStateMd,
  runTick,
  stateHalted,
  type TickBackend,
  type TickResult,
  type TickWorkspace,
} from '@tangle-network/agent-runtime-core'
import { createScriptedTickBackend, type ScriptedTickScript } from './backends.js'
import { appendRunLogFile, writeFileAtomic } from './node-io.js'
import type { ExecutionPlan } from './plan.js'
import { createGitWorkspace } from './worktree.js'

/** The deterministic backend as a class (seed 004's `new MockBackend()`). @experimental */
export class MockBackend implements TickBackend {
  readonly name = 'mock'
  readonly triage: TickBackend['triage']
  readonly implement: TickBackend['implement']
  readonly review: NonNullable<TickBackend['review']>
  constructor(script: ScriptedTickScript = {}) {
    const b = createScriptedTickBackend(script)
    this.triage = b.triage.bind(b)
    this.implement = b.implement.bind(b)
    this.review = b.review!.bind(b)
  }
}

/**
 * A budget breaker as a class (seed 004's `new BudgetBreaker(plan.dailyTokenCap)`):
 * an in-memory ledger unless one is passed.
 * @experimental
 */
export class BudgetBreaker implements BudgetBreakerShape {
  private readonly inner: BudgetBreakerShape
  constructor(dailyTokenCap?: number, options: Partial<BudgetBreakerOptions> = {}) {
    this.inner = createBudgetBreaker({ ledger: options.ledger ?? createMemoryBudgetLedger(), ...options, ...(dailyTokenCap !== undefined ? { dailyTokenCap } : {}) })
  }
  check(estimate?: BreakerUsage): Promise<BreakerStatus> {
    return this.inner.check(estimate)
  }
  guard(): Promise<BreakerStatus> {
    return this.inner.guard()
  }
  reserve(estimate?: BreakerUsage): Promise<BreakerReservation> {
    return this.inner.reserve(estimate)
  }
  record(usage: BreakerUsage): Promise<void> {
    return this.inner.record(usage)
  }
  settle(): Promise<void> {
    return this.inner.settle()
  }
  status(): Promise<BreakerStatus> {
    return this.inner.status()
  }
  day(): string {
    return this.inner.day()
  }
}

/** Where a {@link LoopEngine} writes the state spine after each tick. @experimental */
export interface StateWriter {
  /** The current `STATE.md` text, if any (its `halt: true` is kept). */
  read(): string | undefined
  write(state: string, entry: RunLogEntry, nowMs: number): void | Promise<void>
}

/** Keeps the state spine in memory (tests, previews). @experimental */
export class MemoryStateWriter implements StateWriter {
  state: string | undefined
  readonly log: RunLogEntry[] = []
  read(): string | undefined {
    return this.state
  }
  write(state: string, entry: RunLogEntry): void {
    this.state = state
    this.log.push(entry)
  }
}

/** Writes `STATE.md` and `loop-run-log.md` under `root`, atomically. @experimental */
export class FileStateWriter implements StateWriter {
  constructor(readonly root: string) {}
  read(): string | undefined {
    const p = join(this.root, 'STATE.md')
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined
  }
  write(state: string, entry: RunLogEntry, nowMs: number): void {
    writeFileAtomic(join(this.root, 'STATE.md'), state)
    appendRunLogFile(join(this.root, 'loop-run-log.md'), [entry], nowMs)
  }
}

/** Collaborators of a {@link LoopEngine}. @experimental */
export interface LoopEngineOptions {
  backend: TickBackend
  state: StateWriter
  budget?: BudgetBreakerShape
  /** Where ticks make their changes. Default: git worktrees of `repoRoot`. */
  workspace?: TickWorkspace
  /** Default the working directory. */
  repoRoot?: string
  clock?: () => number
}

/**
 * One plan, ticked on demand: `await engine.tick()` runs a tick
 * (discover → triage → implement → verify → gate → commit/escalate) and
 * writes the state spine, returning a structured, loggable {@link TickResult}.
 * @experimental
 * @example
 * const engine = new LoopEngine(buildPlan(pattern, { level: 'L2' }), { backend: new MockBackend(), state: new MemoryStateWriter(), budget: new BudgetBreaker(100_000) })
 * const result = await engine.tick()
 */
export class LoopEngine {
  private ticks = 0
  constructor(
    readonly plan: ExecutionPlan,
    private readonly options: LoopEngineOptions,
  ) {}

  /** Runs one tick and writes the state spine. */
  async tick(signal?: AbortSignal): Promise<TickResult> {
    const { plan, options } = this
    const clock = options.clock ?? (() => Date.now())
    const workspace = options.workspace ?? createGitWorkspace({ repoRoot: options.repoRoot ?? process.cwd(), ...(plan.testCmd ? { testCmd: plan.testCmd } : {}) })
    const result = await runTick({
      pattern: { id: plan.patternId, name: plan.name, goal: plan.goal },
      level: plan.level,
      backend: options.backend,
      workspace,
      gate: createGatePolicy(plan.gate),
      ...(options.budget ? { breaker: options.budget } : {}),
      tick: ++this.ticks,
      clock,
      ...(signal ? { signal } : {}),
    })
    const spent = options.budget ? (await options.budget.status()).spent.tokens : result.usage.tokens
    const view: LoopStateView = {
      patternId: plan.patternId,
      patternName: plan.name,
      level: plan.level,
      updatedAt: new Date(clock()).toISOString(),
      halt: stateHalted(options.state.read()),
      lastTick: { tick: result.tick, decision: result.decision, outcome: result.outcome, ...(result.summary ? { summary: result.summary } : {}), ...(result.commit ? { commit: result.commit } : {}) },
      budgetLine: formatBudgetLine(spent, plan.dailyTokenCap),
    }
    await options.state.write(renderStateMd(view), { ts: new Date(clock()).toISOString(), ...result }, clock())
    return result
  }
}
