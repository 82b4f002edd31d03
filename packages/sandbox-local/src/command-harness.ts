import { createInterface } from 'node:readline'
import type { SandboxEvent } from '@tangle-network/agent-runtime-core'
import { ConfigError, ValidationError, createAbortError, describeValue, errorMessage } from '@tangle-network/agent-runtime-core'
import { type LocalHarness, textEvent } from './harness.js'
import { buildAllowlistedEnv, DEFAULT_ENV_ALLOWLIST, guardGroup, spawnGroup } from './process.js'

/** Options of {@link commandHarness}. @experimental */
export interface CommandHarnessOptions {
  /** Executable to run (looked up on the allowlisted PATH), e.g. `claude`. */
  command: string
  /** Arguments; every `{prompt}` in them is replaced by the prompt. */
  args?: readonly string[]
  /** How the prompt reaches the command. Default: `args` when an argument contains `{prompt}`, else `stdin`. */
  promptVia?: 'args' | 'stdin'
  /** Parent environment variables passed on, in addition to {@link DEFAULT_ENV_ALLOWLIST} (e.g. `ANTHROPIC_API_KEY`). */
  envAllowlist?: readonly string[]
  /** Explicit environment values (win over the box env and the allowlist). */
  env?: Record<string, string>
  /** Kill the whole process tree after this many ms. Default: no limit of its own. */
  timeoutMs?: number
  /** `lines`: each stdout line is text. `ndjson`: each line is a JSON event (`{type, data}`); other lines are text. Default `lines`. */
  parse?: 'lines' | 'ndjson'
  /** Name reported in events. Default: the command. */
  name?: string
}

/** Most stderr kept for the `error` event of a failed command, in characters (the tail is kept). */
const STDERR_TAIL = 4096

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * Parses one NDJSON line from an agent CLI into a sandbox event. An object
 * with a string `type` and an object `data` passes as-is (`id` kept when a
 * string); an object with a string `type` but no object `data` becomes
 * `{type, data: <the other fields>}`; any other non-blank line is text.
 * Blank lines yield undefined. Never throws.
 * @example
 * parseNdjsonEventLine('{"type":"usage","data":{"inputTokens":3}}') // → { type: 'usage', data: { inputTokens: 3 } }
 * @experimental
 */
export function parseNdjsonEventLine(line: string): SandboxEvent | undefined {
  const trimmed = line.trim()
  if (trimmed === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(trimmed)
  } catch {
    return textEvent(`${line}\n`)
  }
  if (!isPlainObject(parsed) || typeof parsed.type !== 'string') return textEvent(`${line}\n`)
  if (isPlainObject(parsed.data)) {
    const event: SandboxEvent = { type: parsed.type, data: parsed.data }
    if (typeof parsed.id === 'string') event.id = parsed.id
    return event
  }
  const { type, ...rest } = parsed
  return { type: type as string, data: rest }
}

/**
 * A harness that runs any CLI agent in the box: prompt in (argument or
 * stdin), stdout out as events, then a `result` event with the exit code
 * (preceded by an `error` event with the stderr tail when it is nonzero). The
 * child gets only an allowlisted environment and runs in its own process
 * group, which is killed as a whole on abort, timeout, early stop of the
 * stream, or box deletion, so no grandchild survives.
 * @example
 * const claude = commandHarness({ command: 'claude', args: ['-p', '{prompt}'], envAllowlist: ['ANTHROPIC_API_KEY'] })
 * @experimental
 */
export function commandHarness(options: CommandHarnessOptions): LocalHarness {
  assertCommandHarnessOptions(options)
  const name = options.name ?? options.command
  const args = options.args ?? []
  const promptVia = options.promptVia ?? (args.some((a) => a.includes('{prompt}')) ? 'args' : 'stdin')
  const allowlist = [...DEFAULT_ENV_ALLOWLIST, ...(options.envAllowlist ?? [])]
  const parse = options.parse ?? 'lines'
  return {
    name,
    async *run(input) {
      if (input.signal.aborted) throw createAbortError(`${name} aborted before start`)
      const finalArgs = promptVia === 'args' ? args.map((a) => a.split('{prompt}').join(input.prompt)) : [...args]
      const env = buildAllowlistedEnv(allowlist, process.env, input.env, options.env)
      const g = spawnGroup(options.command, finalArgs, { cwd: input.workdir, env, stdin: promptVia === 'stdin' ? 'pipe' : 'ignore' })
      let stderr = ''
      g.child.stderr?.setEncoding('utf8')
      g.child.stderr?.on('data', (chunk: string) => {
        stderr = (stderr + chunk).slice(-STDERR_TAIL)
      })
      const guard = guardGroup(g, {
        timeoutMs: options.timeoutMs,
        signal: input.signal,
        input: promptVia === 'stdin' ? input.prompt : undefined,
      })
      try {
        if (g.child.stdout) {
          const lines = createInterface({ input: g.child.stdout, crlfDelay: Number.POSITIVE_INFINITY })
          for await (const line of lines) {
            if (input.signal.aborted || guard.timedOut()) break
            const event = parse === 'ndjson' ? parseNdjsonEventLine(line) : textEvent(`${line}\n`)
            if (event) yield event
          }
        }
        let exitCode: number
        try {
          exitCode = await g.done
        } catch (err) {
          // Not a candidate that did nothing: the agent never ran. Fail the iteration, naming the command.
          throw spawnError(name, options.command, env.PATH, err)
        }
        if (input.signal.aborted) throw createAbortError(`${name} aborted`)
        if (guard.timedOut()) {
          yield { type: 'error', data: { message: `${name} timed out after ${options.timeoutMs} ms and was killed`, code: 'timeout', harness: name } }
          yield { type: 'result', data: { exitCode: 124, timedOut: true } }
          return
        }
        if (exitCode !== 0) {
          const tail = stderr.trim()
          yield {
            type: 'error',
            data: { message: `${name} exited with code ${exitCode}${tail ? `: ${tail}` : ''}`, exitCode, stderr, harness: name },
          }
        }
        yield { type: 'result', data: { exitCode } }
      } finally {
        guard.dispose()
        // Reached on early stop of the consumer too: never leave the tree running.
        g.kill()
      }
    },
  }
}

/** The error for a harness command that could not be started (ENOENT, EACCES, …), naming the command and the fix. */
function spawnError(harness: string, command: string, path: string | undefined, err: unknown): ConfigError {
  const code = (err as { code?: unknown })?.code
  const where = command.includes('/') ? command : `${command}" on PATH "${path ?? ''}`
  if (code === 'ENOENT') {
    return new ConfigError(
      `command harness ${harness}: "${where}" was not found (ENOENT); install it, or pass its absolute path as commandHarness({ command }).`,
      { cause: err },
    )
  }
  if (code === 'EACCES') {
    return new ConfigError(`command harness ${harness}: "${where}" is not executable (EACCES); chmod +x it or point command at the right file.`, { cause: err })
  }
  return new ConfigError(`command harness ${harness}: could not start "${command}": ${errorMessage(err)}`, { cause: err })
}

const isStringArray = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string')

/** Refuses options of the wrong type up front, naming the field and what was given (e.g. `timeoutMs: '5000'`). */
function assertCommandHarnessOptions(options: CommandHarnessOptions): void {
  const fail = (field: string, want: string, got: unknown) => {
    throw new ValidationError(`commandHarness: ${field} must be ${want}, got ${describeValue(got)}.`)
  }
  if (!isPlainObject(options)) fail('options', 'an object { command, args?, … }', options)
  if (typeof options.command !== 'string' || options.command.trim() === '') fail('command', "a non-empty executable name or path, e.g. 'claude'", options.command)
  if (options.args !== undefined && !isStringArray(options.args)) fail('args', 'an array of strings', options.args)
  if (options.envAllowlist !== undefined && !isStringArray(options.envAllowlist)) fail('envAllowlist', "an array of variable names, e.g. ['ANTHROPIC_API_KEY']", options.envAllowlist)
  if (options.env !== undefined && (!isPlainObject(options.env) || !Object.values(options.env).every((v) => typeof v === 'string'))) {
    fail('env', 'an object of string values', options.env)
  }
  if (options.timeoutMs !== undefined && (typeof options.timeoutMs !== 'number' || !Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)) {
    fail('timeoutMs', 'a positive number of milliseconds', options.timeoutMs)
  }
  if (options.promptVia !== undefined && options.promptVia !== 'args' && options.promptVia !== 'stdin') fail('promptVia', "'args' or 'stdin'", options.promptVia)
  if (options.parse !== undefined && options.parse !== 'lines' && options.parse !== 'ndjson') fail('parse', "'lines' or 'ndjson'", options.parse)
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) fail('name', 'a non-empty string', options.name)
}
