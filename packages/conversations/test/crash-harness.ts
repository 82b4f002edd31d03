/**
 * Drives the crash worker: spawns it, kills it with SIGKILL at seeded random
 * points, restarts it with the same run id until it reports the run done.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const WORKER = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** A seeded PRNG (mulberry32), so a failing schedule can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** One spawned worker and the lines it printed. */
export interface WorkerRun {
  lines: string[]
  code: number | null
  signal: NodeJS.Signals | null
}

/** Spawns the worker with `args`; `onLine` may kill it. */
export function spawnWorker(
  args: string[],
  onLine?: (line: string, child: ChildProcess) => void,
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<WorkerRun> } {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', WORKER, ...args], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  const lines: string[] = []
  let buffered = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => {
    buffered += chunk
    let nl = buffered.indexOf('\n')
    while (nl !== -1) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      lines.push(line)
      onLine?.(line, child)
      nl = buffered.indexOf('\n')
    }
  })
  child.stderr!.on('data', (chunk) => {
    stderr += String(chunk)
  })
  const done = new Promise<WorkerRun>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (code !== 0 && signal === null) reject(new Error(`crash worker exited with code ${code}: ${stderr}`))
      else resolve({ lines, code, signal })
    })
  })
  return { child, done }
}

/** The outcome of a kill-and-restart loop. */
export interface CrashLoopResult {
  /** Every `ACK <index> <startedAt> <text>` line printed across all runs, in order. */
  acks: { index: number; startedAt: string; text: string }[]
  kills: number
  spawns: number
  final: WorkerRun
}

/**
 * Runs the worker until it prints `DONE`, killing each run with SIGKILL
 * after a random number of acknowledged turns (0–8) plus a random 0–12 ms,
 * so kills land between turns, mid-stream and mid-append.
 */
export async function runWithRandomKills(args: string[], random: () => number, maxSpawns = 25): Promise<CrashLoopResult> {
  const acks: { index: number; startedAt: string; text: string }[] = []
  let kills = 0
  for (let spawns = 1; spawns <= maxSpawns; spawns++) {
    const killAfterAcks = Math.floor(random() * 9)
    const extraDelay = Math.floor(random() * 13)
    let seen = 0
    let killing = false
    const scheduleKill = (child: ChildProcess) => {
      killing = true
      setTimeout(() => child.kill('SIGKILL'), extraDelay)
    }
    const { done } = spawnWorker(args, (line, child) => {
      if (line.startsWith('ACK ')) {
        const [, index, startedAt, ...text] = line.split(' ')
        acks.push({ index: Number(index), startedAt: startedAt!, text: text.join(' ') })
        seen++
      }
      const ready = line === 'READY' || line.startsWith('ACK ')
      if (ready && !killing && seen >= killAfterAcks) scheduleKill(child)
    })
    const run = await done
    if (run.signal === 'SIGKILL') kills++
    if (run.lines.some((l) => l.startsWith('DONE '))) return { acks, kills, spawns, final: run }
  }
  throw new Error(`the run did not complete within ${maxSpawns} spawns`)
}

/** The outcome of {@link runWithKillsInsideAppends}. */
export interface AppendKillResult extends CrashLoopResult {
  /** Restarts that found a torn last line left by a kill inside a write. */
  tornTails: number
}

/**
 * Runs the worker until it prints `DONE`, each run dying by SIGKILL inside
 * one of its appends, at a seeded point: the k-th append (0–3) of the run
 * either writes a seeded prefix of its record and is killed mid-write (a torn
 * line), or writes the whole record and is killed before `fdatasync` returns
 * (durable-looking but unacknowledged). The worker injects the fault at the
 * file-handle boundary (`CRASH_FAULT`), so the journal code runs unchanged and
 * the points are exact on any machine. Before each restart, `tail()` reports
 * whether the store was left with a torn last record.
 */
export async function runWithKillsInsideAppends(
  args: string[],
  random: () => number,
  padChars: number,
  tail: () => Promise<'torn' | 'clean'>,
  maxSpawns = 60,
): Promise<AppendKillResult> {
  const acks: { index: number; startedAt: string; text: string }[] = []
  let kills = 0
  let tornTails = 0
  for (let spawns = 1; spawns <= maxSpawns; spawns++) {
    const append = Math.floor(random() * 4)
    const fault = random() < 0.75 ? `tear:${append}:${random().toFixed(4)}` : `before-sync:${append}`
    const { done } = spawnWorker(
      args,
      (line) => {
        if (line.startsWith('ACK ')) {
          const [, index, startedAt, ...text] = line.split(' ')
          acks.push({ index: Number(index), startedAt: startedAt!, text: text.join(' ') })
        }
      },
      { CRASH_PAD_CHARS: String(padChars), CRASH_FAULT: fault, CRASH_DELAY_MS: '1' },
    )
    const run = await done
    if (run.signal === 'SIGKILL') {
      kills++
      if ((await tail()) === 'torn') tornTails++
    }
    if (run.lines.some((l) => l.startsWith('DONE '))) return { acks, kills, spawns, final: run, tornTails }
  }
  throw new Error(`the run did not complete within ${maxSpawns} spawns`)
}
