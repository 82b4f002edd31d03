import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { reduceSandboxEvents, type SandboxEvent } from '@tangle-network/agent-runtime-core'
import {
  commandHarness,
  createLocalSandboxClient,
  type LocalHarness,
  type LocalSandboxClient,
  parseNdjsonEventLine,
} from '@tangle-network/agent-runtime-sandbox-local'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let tmp: string
const clients: LocalSandboxClient[] = []

function clientWith(harness: LocalHarness): LocalSandboxClient {
  const c = createLocalSandboxClient({ root: path.join(tmp, 'boxes'), harnesses: { cmd: harness } })
  clients.push(c)
  return c
}

async function collect(it: AsyncIterable<SandboxEvent>): Promise<SandboxEvent[]> {
  const out: SandboxEvent[] = []
  for await (const e of it) out.push(e)
  return out
}

/** Live (non-zombie) processes whose process group is `pgid`. */
function liveInGroup(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' })
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => Number(cols[1]) === pgid && !cols[2]?.startsWith('Z'))
    .map((cols) => cols.join(' '))
}

async function waitUntilGone(pgid: number): Promise<string[]> {
  for (let i = 0; i < 100; i++) {
    const live = liveInGroup(pgid)
    if (live.length === 0) return live
    await new Promise((r) => setTimeout(r, 50))
  }
  return liveInGroup(pgid)
}

/** Reads the process-group id the tree script prints first. */
function pgidOf(event: SandboxEvent): number {
  const m = /pgid=(\d+)/.exec(String(event.data.delta))
  if (!m) throw new Error(`no pgid in ${JSON.stringify(event)}`)
  return Number(m[1])
}

// A child (sh) that starts two grandchildren and waits: a tree to kill.
const TREE = ['-c', 'echo "pgid=$$"; sleep 300 & sleep 301 & wait']

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sbx-cmd-test-'))
})

afterAll(async () => {
  await Promise.all(clients.map((c) => c.deleteAll()))
  await rm(tmp, { recursive: true, force: true })
})

describe('commandHarness', () => {
  it('passes the prompt as an argument and streams stdout lines as text, then a result', async () => {
    const box = await clientWith(commandHarness({ command: 'sh', args: ['-c', 'echo "got: $1"; echo second; pwd', 'sh', '{prompt}'] })).create()
    const events = await collect(box.streamPrompt('fix it; $(rm -rf /)'))
    expect(events.map((e) => e.type)).toEqual(['message.part.updated', 'message.part.updated', 'message.part.updated', 'result'])
    const turn = await reduceSandboxEvents(events)
    expect(turn.text).toBe(`got: fix it; $(rm -rf /)\nsecond\n${box.workdir}\n`)
    expect(events.at(-1)).toEqual({ type: 'result', data: { exitCode: 0 } })
  })

  it('passes the prompt on stdin when no argument has the placeholder', async () => {
    const box = await clientWith(commandHarness({ command: 'cat' })).create()
    const turn = await reduceSandboxEvents(box.streamPrompt('line one\nline two'))
    expect(turn.text).toBe('line one\nline two\n')
  })

  it('passes only the allowlisted environment plus explicit values', async () => {
    process.env.SBX_SECRET_KEY = 'must-not-leak'
    process.env.SBX_ALLOWED = 'allowed'
    try {
      const harness = commandHarness({
        command: 'sh',
        args: ['-c', 'echo "secret=[$SBX_SECRET_KEY] allowed=[$SBX_ALLOWED] explicit=[$EXPLICIT] box=[$BOX] path=[$(test -n "$PATH" && echo set)]"'],
        envAllowlist: ['SBX_ALLOWED'],
        env: { EXPLICIT: 'e' },
      })
      const c = createLocalSandboxClient({ root: path.join(tmp, 'boxes'), harnesses: { cmd: harness }, env: { BOX: 'b' } })
      clients.push(c)
      const turn = await reduceSandboxEvents((await c.create()).streamPrompt('x'))
      expect(turn.text).toBe('secret=[] allowed=[allowed] explicit=[e] box=[b] path=[set]\n')
    } finally {
      delete process.env.SBX_SECRET_KEY
      delete process.env.SBX_ALLOWED
    }
  })

  it('parses NDJSON lines into events and keeps other lines as text', async () => {
    const script = [
      `echo '{"type":"usage","data":{"inputTokens":5,"outputTokens":2},"id":"e1"}'`,
      `echo '{"type":"tool_call","name":"bash"}'`,
      `echo 'plain words'`,
      `echo ''`,
    ].join('; ')
    const box = await clientWith(commandHarness({ command: 'sh', args: ['-c', script], parse: 'ndjson' })).create()
    const events = await collect(box.streamPrompt('x'))
    expect(events).toEqual([
      { type: 'usage', data: { inputTokens: 5, outputTokens: 2 }, id: 'e1' },
      { type: 'tool_call', data: { name: 'bash' } },
      { type: 'message.part.updated', data: { part: { type: 'text', text: 'plain words\n' }, delta: 'plain words\n' } },
      { type: 'result', data: { exitCode: 0 } },
    ])
  })

  it('reports a nonzero exit as an error event with the stderr tail, before the result', async () => {
    const box = await clientWith(commandHarness({ command: 'sh', args: ['-c', 'echo partial; echo "bad thing" >&2; exit 3'], name: 'agent' })).create()
    const events = await collect(box.streamPrompt('x'))
    expect(events.slice(1)).toEqual([
      { type: 'error', data: { message: 'agent exited with code 3: bad thing', exitCode: 3, stderr: 'bad thing\n', harness: 'agent' } },
      { type: 'result', data: { exitCode: 3 } },
    ])
    const turn = await reduceSandboxEvents(events)
    expect(turn.error).toBe('agent exited with code 3: bad thing')
  })

  it('fails with a ConfigError naming a command that is not found (ENOENT), instead of an empty run', async () => {
    const box = await clientWith(commandHarness({ command: 'definitely-not-a-command-xyz', name: 'agent' })).create()
    const err = await collect(box.streamPrompt('x')).catch((e) => e)
    expect(err).toMatchObject({ name: 'ConfigError', code: 'config' })
    expect(err.message).toMatch(/^command harness agent: "definitely-not-a-command-xyz" on PATH ".*" was not found \(ENOENT\); install it, or pass its absolute path/)
    expect(err.cause).toMatchObject({ code: 'ENOENT' })
  })

  it('refuses options of the wrong type, naming the field and the type given', () => {
    expect(() => commandHarness({ command: 'claude', timeoutMs: '5000' as never })).toThrowError(
      expect.objectContaining({ name: 'ValidationError', message: 'commandHarness: timeoutMs must be a positive number of milliseconds, got the string "5000".' }),
    )
    expect(() => commandHarness({ command: '' })).toThrowError(/^commandHarness: command must be a non-empty executable name/)
    expect(() => commandHarness({ command: 'claude', envAllowlist: 'ANTHROPIC_API_KEY' as never })).toThrowError(
      'commandHarness: envAllowlist must be an array of variable names, e.g. [\'ANTHROPIC_API_KEY\'], got the string "ANTHROPIC_API_KEY".',
    )
    expect(() => commandHarness({ command: 'claude', args: ['-p', 3] as never })).toThrowError('commandHarness: args must be an array of strings, got an array.')
  })

  it('names an absolute command path that does not exist', async () => {
    const box = await clientWith(commandHarness({ command: path.join(tmp, 'missing-agent') })).create()
    const err = await collect(box.streamPrompt('x')).catch((e) => e)
    expect(err.message).toContain(`"${path.join(tmp, 'missing-agent')}" was not found (ENOENT)`)
  })

  it('kills the whole process tree on abort, leaving no orphan', async () => {
    const box = await clientWith(commandHarness({ command: 'sh', args: TREE })).create()
    const controller = new AbortController()
    const iterator = box.streamPrompt('x', { signal: controller.signal })[Symbol.asyncIterator]()
    const first = await iterator.next()
    const pgid = pgidOf(first.value as SandboxEvent)
    expect(liveInGroup(pgid).length).toBeGreaterThanOrEqual(2)
    controller.abort()
    const err = await iterator.next().catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('AbortError')
    expect(await waitUntilGone(pgid)).toEqual([])
  })

  it('kills the tree at its own timeout and says so', async () => {
    const box = await clientWith(commandHarness({ command: 'sh', args: TREE, timeoutMs: 300, name: 'slow' })).create()
    const events = await collect(box.streamPrompt('x'))
    const pgid = pgidOf(events[0])
    expect(events.slice(1)).toEqual([
      { type: 'error', data: { message: 'slow timed out after 300 ms and was killed', code: 'timeout', harness: 'slow' } },
      { type: 'result', data: { exitCode: 124, timedOut: true } },
    ])
    expect(await waitUntilGone(pgid)).toEqual([])
  })

  it('kills the tree when the prompt times out, the consumer stops early, or the box is deleted', async () => {
    const client = clientWith(commandHarness({ command: 'sh', args: TREE }))

    const timed = await client.create()
    const events = await collect(timed.streamPrompt('x', { timeoutMs: 300 }))
    expect(events.at(-1)).toEqual({ type: 'error', data: { message: 'harness cmd timed out after 300 ms', code: 'timeout', harness: 'cmd' } })
    expect(await waitUntilGone(pgidOf(events[0]))).toEqual([])

    const early = await client.create()
    let earlyPgid = -1
    for await (const e of early.streamPrompt('x')) {
      earlyPgid = pgidOf(e)
      break
    }
    expect(await waitUntilGone(earlyPgid)).toEqual([])

    const doomed = await client.create()
    const iterator = doomed.streamPrompt('x')[Symbol.asyncIterator]()
    const doomedPgid = pgidOf((await iterator.next()).value as SandboxEvent)
    await doomed.delete()
    const rest: SandboxEvent[] = []
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) rest.push(r.value)
    expect(rest.at(-1)?.type).toBe('error')
    expect(String(rest.at(-1)?.data.message)).toContain('was deleted')
    expect(await waitUntilGone(doomedPgid)).toEqual([])
  })
})

describe('parseNdjsonEventLine', () => {
  it('never throws and always yields a well-formed event for a non-blank line', () => {
    fc.assert(
      fc.property(fc.string(), (line) => {
        const event = parseNdjsonEventLine(line)
        if (line.trim() === '') return event === undefined
        return event !== undefined && typeof event.type === 'string' && typeof event.data === 'object' && event.data !== null
      }),
    )
  })

  it('round-trips any {type, data} event', () => {
    const jsonValue = fc.jsonValue()
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string(), jsonValue), (type, data) => {
        const parsed = parseNdjsonEventLine(JSON.stringify({ type, data }))
        expect(parsed).toEqual({ type, data: JSON.parse(JSON.stringify(data)) })
      }),
    )
  })

  it('wraps objects without data and treats other JSON as text', () => {
    expect(parseNdjsonEventLine('{"type":"x","a":1}')).toEqual({ type: 'x', data: { a: 1 } })
    expect(parseNdjsonEventLine('[1,2]')).toEqual({ type: 'message.part.updated', data: { part: { type: 'text', text: '[1,2]\n' }, delta: '[1,2]\n' } })
    expect(parseNdjsonEventLine('{"type":5}')?.type).toBe('message.part.updated')
    expect(parseNdjsonEventLine('   ')).toBeUndefined()
  })
})
