/**
 * Every example the seeds list exists, says how to run it from the repo root,
 * and runs with the embedded defaults (no API key, no network beyond loopback)
 * through the exact command its README gives: `pnpm --filter @examples/<name> start`.
 * Examples run in parallel, two at a time, each with a generous timeout.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')

/** The examples seed 001 and seed 000 list (issue 17), in their order. */
const EXAMPLES = [
  'basic-task',
  'with-knowledge-readiness',
  'sanitized-telemetry',
  'sanitized-telemetry-streaming',
  'sse-stream',
  'sandbox-stream-backend',
  'openai-stream-backend',
  'runtime-run',
  'model-resolution',
  'agent-into-reviewer',
  'chat-handler',
  'coder-loop',
  'researcher-loop',
  'mcp-delegation',
  'fleet-delegation',
  'self-improving-loop',
  'with-intelligence-export',
  // The old name of with-intelligence-export, kept as an alias.
  'with-otel-export',
] as const

/** Examples that serve until stopped: they pass when they print their URL and answer on it. */
const SERVERS: Record<string, { ready: RegExp; path: string }> = {
  'chat-handler': { ready: /listening on (http:\/\/\S+)/, path: '/' },
}

const RUN_TIMEOUT_MS = 240_000
const POOL = 2

// No keys and no OTLP endpoint: the examples must pick their embedded defaults.
const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) => !/^(OPENAI_API_KEY|TANGLE_API_KEY|ANTHROPIC_API_KEY|OTEL_EXPORTER_OTLP_ENDPOINT|npm_(package|lifecycle|config)_|PNPM_SCRIPT|INIT_CWD)/i.test(k),
  ),
)

const dirOf = (name: string) => join(ROOT, 'examples', name)
const present = EXAMPLES.filter((name) => existsSync(join(dirOf(name), 'package.json')))
const missing = EXAMPLES.filter((name) => !present.includes(name))

type RunResult = { code: number | null; signal: NodeJS.Signals | null; output: string; ms: number; served?: number }

/** Runs `pnpm --filter @examples/<name> start` in its own process group, so a server can be stopped with its children. */
function runExample(name: string): Promise<RunResult> {
  const started = performance.now()
  const server = SERVERS[name]
  return new Promise((resolve) => {
    const child: ChildProcess = spawn('pnpm', ['--filter', `@examples/${name}`, 'start'], {
      cwd: ROOT,
      env: server ? { ...env, PORT: '0' } : env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    let served: number | undefined
    let settled = false
    const stop = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM')
      } catch {
        // Already gone.
      }
    }
    const timer = setTimeout(stop, RUN_TIMEOUT_MS)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const url = server && served === undefined ? server.ready.exec(output)?.[1] : undefined
      if (url) {
        served = -1
        fetch(new URL(server!.path, url))
          .then((r) => (served = r.status))
          .catch(() => (served = 0))
          .finally(stop)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (settled) return
      settled = true
      resolve({ code, signal, output, ms: performance.now() - started, served })
    })
  })
}

const results = new Map<string, RunResult>()

describe('the examples the seeds list', () => {
  it('all exist (the missing ones are named)', () => {
    expect(missing, `missing examples: ${missing.join(', ')}`).toEqual([])
  })

  it.each(present)('%s has a README with the command from the repo root, and a start script', (name) => {
    const pkg = JSON.parse(readFileSync(join(dirOf(name), 'package.json'), 'utf8'))
    expect(pkg.name).toBe(`@examples/${name}`)
    expect(typeof pkg.scripts?.start, 'package.json scripts.start').toBe('string')
    const readme = readFileSync(join(dirOf(name), 'README.md'), 'utf8')
    expect(readme).toContain(`pnpm --filter @examples/${name} start`)
    // `pnpm start` on its own fails at the repo root.
    expect(readme).not.toMatch(/^(\S+=\S+\s+)*pnpm start\b/m)
  })
})

describe('each example runs with the embedded defaults', () => {
  beforeAll(async () => {
    const queue = [...present]
    const worker = async () => {
      for (let name = queue.shift(); name; name = queue.shift()) results.set(name, await runExample(name))
    }
    await Promise.all(Array.from({ length: POOL }, worker))
  }, RUN_TIMEOUT_MS * Math.ceil(EXAMPLES.length / POOL) + 60_000)

  it.each(present)('%s', (name) => {
    const r = results.get(name)!
    const tail = r.output.trim().split('\n').slice(-15).join('\n')
    if (SERVERS[name]) {
      expect(r.served, `${name} answered ${SERVERS[name].path}:\n${tail}`).toBe(200)
    } else {
      expect({ code: r.code, signal: r.signal }, `${name} exits 0 within ${RUN_TIMEOUT_MS / 1000}s:\n${tail}`).toEqual({ code: 0, signal: null })
    }
  })
})
