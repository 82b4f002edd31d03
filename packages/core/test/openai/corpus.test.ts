// Replays chat-completion streams recorded by public provider SDK test suites
// (see corpus/README.md and corpus/manifest.json): whole, cut at random
// points, and over loopback HTTP through the real backend and task runner.
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  BackendTransportError,
  type BackendStreamEvent,
  createOpenAICompatibleBackend,
  parseChatCompletionStream,
  type RuntimeStreamEvent,
  runAgentTaskStream,
} from '@tangle-network/agent-runtime-core'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ctx, recordingSleep, rejection, task } from './helpers.js'
import { type ReplayServer, startReplayServer } from './replay-server.js'

const here = join(dirname(fileURLToPath(import.meta.url)), 'corpus')

interface Summary {
  text: string
  reasoning: string
  toolCalls: { name: string; args: unknown }[]
  finishReason?: string
  tokensIn?: number
  tokensOut?: number
  refusal?: true
}
interface Recording {
  name: string
  file: string
  format: 'sse' | 'jsonl'
  kind: 'recording' | 'documented-example'
  source: { repository: string; path: string; commit: string }
  expect: Summary | { error: { status: number; textBefore: string } }
}

const manifest = JSON.parse(readFileSync(join(here, 'manifest.json'), 'utf8')) as { recordings: Recording[] }
const recordings = manifest.recordings

/** The body a server would send: jsonl chunk files are framed as SSE data events. */
function body(r: Recording): Uint8Array {
  const raw = readFileSync(join(here, r.file), 'utf8')
  const text =
    r.format === 'sse'
      ? raw
      : raw
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => `data: ${l}\n\n`)
          .join('')
  return new TextEncoder().encode(text)
}

function summarize(events: BackendStreamEvent[]): Summary {
  const s: Summary = { text: '', reasoning: '', toolCalls: [] }
  for (const ev of events) {
    if (ev.type === 'text_delta') s.text += ev.text
    else if (ev.type === 'reasoning_delta') s.reasoning += ev.text
    else if (ev.type === 'tool_call') s.toolCalls.push({ name: ev.toolName, args: ev.args })
    else if (ev.type === 'llm_call') {
      if (ev.finishReason !== undefined) s.finishReason = ev.finishReason
      if (ev.tokensIn !== undefined) s.tokensIn = ev.tokensIn
      if (ev.tokensOut !== undefined) s.tokensOut = ev.tokensOut
      if (ev.refusal) s.refusal = true
    }
  }
  return s
}

type Outcome = Summary | { error: { status?: number; textBefore: string } }

function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b)
  const pieces: Uint8Array[] = []
  let start = 0
  for (const p of [...sorted, bytes.length]) {
    pieces.push(bytes.subarray(start, p))
    start = p
  }
  return pieces
}

async function parse(pieces: Uint8Array[]): Promise<Outcome> {
  const events: BackendStreamEvent[] = []
  try {
    for await (const ev of parseChatCompletionStream(pieces, { model: 'm' })) events.push(ev)
  } catch (err) {
    if (!(err instanceof BackendTransportError)) throw err
    return { error: { status: err.status, textBefore: summarize(events).text } }
  }
  return summarize(events)
}

describe('recorded provider streams', () => {
  it('the manifest names a source repository, path and commit for every recording', () => {
    expect(recordings.length).toBeGreaterThanOrEqual(20)
    for (const r of recordings) {
      expect(r.source.repository).toMatch(/^[\w.-]+\/[\w.-]+$/)
      expect(r.source.path.length).toBeGreaterThan(0)
      expect(r.source.commit).toMatch(/^[0-9a-f]{40}$/)
      expect(body(r).length).toBeGreaterThan(0)
    }
  })

  it('finish_reason "error" fails the stream even without an error object', async () => {
    const r = recordings.find((x) => x.name === 'openrouter-mid-stream-server-error')!
    const chunk = JSON.parse(new TextDecoder().decode(body(r)).split('\n')[0].slice('data: '.length))
    delete chunk.error
    const outcome = await parse([new TextEncoder().encode(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`)])
    expect(outcome).toEqual({ error: { status: undefined, textBefore: '' } })
  })

  for (const r of recordings) {
    it(`${r.name}: parses whole to the recorded answer`, async () => {
      expect(await parse([body(r)])).toEqual(r.expect)
    })

    it(`${r.name}: any cut parses the same`, async () => {
      const bytes = body(r)
      // Big recordings take fewer runs; each run still cuts at up to 60 random points.
      const numRuns = bytes.length > 20_000 ? 8 : 40
      await fc.assert(
        fc.asyncProperty(fc.array(fc.nat({ max: bytes.length }), { maxLength: 60 }), async (points) => {
          expect(await parse(cut(bytes, points))).toEqual(r.expect)
        }),
        { numRuns },
      )
    })
  }
})

describe('recorded provider streams over HTTP', () => {
  let server: ReplayServer
  beforeAll(async () => {
    server = await startReplayServer()
  })
  afterAll(() => server.close())

  const answered = recordings.filter((r) => !('error' in r.expect))
  const failing = recordings.filter((r) => 'error' in r.expect)

  it('every recorded answer arrives intact through createOpenAICompatibleBackend, cut into network pieces', async () => {
    for (const [i, r] of answered.entries()) {
      const s = server.script({ body: body(r), chunkBytes: 37 + ((i * 53) % 400) })
      const backend = createOpenAICompatibleBackend({ baseUrl: s.baseUrl, model: 'm', retry: { maxAttempts: 1 } })
      const events: BackendStreamEvent[] = []
      for await (const ev of backend.stream({ task, message: 'hi' }, ctx())) events.push(ev)
      expect(summarize(events), r.name).toEqual(r.expect)
    }
  })

  it('an in-stream error before any output is retried like the status it names, then reported with that status', async () => {
    for (const r of failing) {
      const expected = (r.expect as { error: { status: number } }).error.status
      const s = server.script({ body: body(r) }, { body: body(recordings.find((x) => x.name === 'mistral-text')!) })
      const { sleep, sleeps } = recordingSleep()
      const backend = createOpenAICompatibleBackend({ baseUrl: s.baseUrl, model: 'm', retry: { sleep, random: () => 0.5 } })
      const events: BackendStreamEvent[] = []
      for await (const ev of backend.stream({ task, message: 'hi' }, ctx())) events.push(ev)
      expect(summarize(events).text, r.name).toBe('Hello, world! This is a test response.')
      expect(s.requests, r.name).toHaveLength(2)
      expect(sleeps, r.name).toEqual([1000])

      const only = server.script({ body: body(r) })
      const err = await rejection(
        (async () => {
          const b = createOpenAICompatibleBackend({ baseUrl: only.baseUrl, model: 'm', retry: { sleep, maxAttempts: 2 } })
          for await (const _ of b.stream({ task, message: 'hi' }, ctx()));
        })(),
      )
      expect(err, r.name).toBeInstanceOf(BackendTransportError)
      expect(err.status, r.name).toBe(expected)
      expect(only.requests).toHaveLength(2)
    }
  })

  it('an in-stream error after output fails the task with the named status, keeping the partial text', async () => {
    const text = readFileSync(join(here, recordings.find((x) => x.name === 'openai-node-stream-works-1')!.file), 'utf8').replace('data: [DONE]\n\n', '')
    const error = new TextDecoder().decode(body(recordings.find((x) => x.name === 'openrouter-mid-stream-server-error')!))
    const s = server.script({ body: text + error })
    const backend = createOpenAICompatibleBackend({ baseUrl: s.baseUrl, model: 'm', retry: { sleep: recordingSleep().sleep } })
    const events: RuntimeStreamEvent[] = []
    for await (const ev of runAgentTaskStream({ task, backend, input: { task, message: 'hi' } })) events.push(ev)
    const final = events.at(-1)!
    expect(final).toMatchObject({ type: 'final', status: 'failed', text: '{"city":"San Francisco","units":"c"}', error: { kind: 'transport', status: 500 } })
    expect(s.requests).toHaveLength(1)
  })

  it('a recorded refusal completes with the refusal as text and the final event marked', async () => {
    for (const name of ['openai-node-stream-emits-refusal-logprobs-events-1', 'anthropic-refusal']) {
      const r = recordings.find((x) => x.name === name)!
      const s = server.script({ body: body(r) })
      const backend = createOpenAICompatibleBackend({ baseUrl: s.baseUrl, model: 'm' })
      const events: RuntimeStreamEvent[] = []
      for await (const ev of runAgentTaskStream({ task, backend, input: { task, message: 'hi' } })) events.push(ev)
      const final = events.at(-1)!
      expect(final, name).toMatchObject({ type: 'final', status: 'completed', text: (r.expect as Summary).text, metadata: { refusal: true } })
    }
  })
})
