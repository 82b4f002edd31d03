import { type ChildProcess, spawn } from 'node:child_process'

/**
 * Process-group plumbing shared by `exec` and the command harness. Every child
 * is spawned `detached`, which makes it the leader of a new process group, so
 * `process.kill(-pid)` reaches it and everything it started (grandchildren
 * included). Live groups are tracked so a box's `delete()` and the exit of
 * this Node process can still kill them.
 */

const liveGroups = new Set<number>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // `exit` handlers must be synchronous; process.kill is.
  process.once('exit', () => {
    for (const pgid of liveGroups) killProcessGroup(pgid)
  })
}

/**
 * Sends SIGKILL to the whole process group led by `pgid`; a group already gone is not an error.
 * @example
 * killProcessGroup(child.pid!) // child spawned with `detached: true`
 * @experimental
 */
export function killProcessGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pgid, signal)
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Names of environment variables passed to sandboxed commands by default. @experimental */
export const DEFAULT_ENV_ALLOWLIST: readonly string[] = ['PATH', 'HOME', 'LANG', 'TERM', 'TMPDIR']

/**
 * Builds a child environment from scratch: the allowlisted names copied from
 * `source` (the parent environment), then each explicit map in order.
 * Nothing else from the parent leaks through (API keys included).
 * @example
 * const env = buildAllowlistedEnv([...DEFAULT_ENV_ALLOWLIST, 'ANTHROPIC_API_KEY'], process.env, { CI: '1' })
 * @experimental
 */
export function buildAllowlistedEnv(
  allowlist: readonly string[],
  source: NodeJS.ProcessEnv,
  ...explicit: (Record<string, string> | undefined)[]
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of allowlist) {
    const value = source[name]
    if (typeof value === 'string') env[name] = value
  }
  for (const map of explicit) {
    if (!map) continue
    for (const [k, v] of Object.entries(map)) {
      if (typeof v === 'string') env[k] = v
    }
  }
  return env
}

/** A spawned child in its own process group, tracked until it exits. */
export interface GroupChild {
  child: ChildProcess
  pgid: number
  /** Resolves once the child exited and its stdio closed, with the shell-style exit code (128+n when killed by signal n). */
  done: Promise<number>
  /** Kills the whole group now. */
  kill(): void
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }

/**
 * Spawns `command args` detached (own process group) with piped stdio.
 * When the child exits, whatever it left running in its group is killed, so a
 * background grandchild can neither outlive it nor hold its pipes open.
 * @experimental
 */
export function spawnGroup(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; stdin?: 'pipe' | 'ignore'; onBox?: Set<number> },
): GroupChild {
  installExitHook()
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  })
  const pgid = child.pid
  let closed = false
  // After `close` the group is gone and its id may be reused: never signal it again.
  const kill = (): void => {
    if (pgid !== undefined && !closed) killProcessGroup(pgid)
  }
  if (pgid !== undefined) {
    liveGroups.add(pgid)
    options.onBox?.add(pgid)
  }
  const done = new Promise<number>((resolve, reject) => {
    let exitCode: number | undefined
    child.once('error', (err) => {
      closed = true
      if (pgid !== undefined) liveGroups.delete(pgid)
      if (pgid !== undefined) options.onBox?.delete(pgid)
      reject(err)
    })
    child.once('exit', (code, signal) => {
      exitCode = code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1)
      kill()
    })
    child.once('close', (code, signal) => {
      closed = true
      if (pgid !== undefined) {
        liveGroups.delete(pgid)
        options.onBox?.delete(pgid)
      }
      resolve(exitCode ?? code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1))
    })
  })
  // Keep an unobserved rejection (spawn error) from crashing the process; callers await `done`.
  done.catch(() => {})
  return { child, pgid: pgid ?? -1, done, kill }
}

/**
 * Wires a spawned group's lifetime: writes `input` to its stdin, kills the
 * whole group after `timeoutMs` or when `signal` aborts. `dispose` removes the
 * timer and the abort listener once the group is done.
 */
export function guardGroup(
  g: { child: { stdin?: NodeJS.WritableStream | null }; kill(): void },
  options: { timeoutMs?: number; signal?: AbortSignal; input?: string },
): { timedOut(): boolean; aborted(): boolean; dispose(): void } {
  if (options.input !== undefined && g.child.stdin) {
    g.child.stdin.on('error', () => {})
    g.child.stdin.end(options.input)
  }
  let timedOut = false
  let aborted = false
  const timer =
    options.timeoutMs !== undefined && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true
          g.kill()
        }, options.timeoutMs)
      : undefined
  const onAbort = (): void => {
    aborted = true
    g.kill()
  }
  if (options.signal?.aborted) onAbort()
  else options.signal?.addEventListener('abort', onAbort, { once: true })
  return {
    timedOut: () => timedOut,
    aborted: () => aborted,
    dispose: () => {
      if (timer) clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    },
  }
}

/** Result of {@link runGroupCommand}. */
export interface GroupCommandResult {
  exitCode: number
  stdout: string
  stderr: string
  timedOut: boolean
  aborted: boolean
}

/**
 * Runs a command to completion in its own process group and buffers its
 * output. On timeout or abort the whole group is killed.
 * @experimental
 */
export async function runGroupCommand(
  command: string,
  args: readonly string[],
  options: {
    cwd: string
    env: Record<string, string>
    timeoutMs?: number
    signal?: AbortSignal
    input?: string
    onBox?: Set<number>
  },
): Promise<GroupCommandResult> {
  const g = spawnGroup(command, args, { ...options, stdin: options.input === undefined ? 'ignore' : 'pipe' })
  const out: Buffer[] = []
  const err: Buffer[] = []
  g.child.stdout?.on('data', (b: Buffer) => out.push(b))
  g.child.stderr?.on('data', (b: Buffer) => err.push(b))
  const guard = guardGroup(g, options)
  try {
    const exitCode = await g.done
    return {
      exitCode,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      timedOut: guard.timedOut(),
      aborted: guard.aborted(),
    }
  } finally {
    guard.dispose()
  }
}
