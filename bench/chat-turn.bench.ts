/**
 * The handleChatTurn envelope against piping the producer straight into an
 * NDJSON ReadableStream (the least a route could do), same producer, same
 * process. Measures time to first byte (TTFB) and events per second over a
 * 10k-event turn, drained by a reader as fast as it can. A third row adds a
 * memory replay store (events stored in batches for retries).
 *
 * Throughput ratios are ours / raw pipe (1.00 = as fast, lower = slower);
 * TTFB ratios are our time to first byte / the raw pipe's (lower is better).
 * Rounds are paired and interleaved; each ratio is printed as min / median / max.
 * Env: BENCH_CHAT_EVENTS (default 10000), BENCH_CHAT_RUNS (default 15).
 *
 *   cd bench && pnpm exec tsx --conditions=source chat-turn.bench.ts
 */
import { performance } from 'node:perf_hooks'
import {
  type ChatStreamEvent,
  type ChatTurnProducer,
  createMemoryChatTurnReplayStore,
  encodeChatStreamLine,
  handleChatTurn,
} from '@tangle-network/agent-runtime-core'

const EVENTS = Number(process.env.BENCH_CHAT_EVENTS ?? 10_000)
const RUNS = Number(process.env.BENCH_CHAT_RUNS ?? 15)

function producer(): ChatTurnProducer {
  let text = ''
  async function* stream(): AsyncGenerator<ChatStreamEvent> {
    for (let i = 0; i < EVENTS; i++) {
      const token = `tok${i} `
      text += token
      yield { type: 'text_delta', data: { text: token } }
    }
  }
  return { stream: stream(), finalText: () => text }
}

/** The baseline: the producer's events encoded straight into the body, no envelope, no hooks. */
function rawPipe(): ReadableStream<Uint8Array> {
  const it = producer().stream[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const step = await it.next()
        if (step.done) controller.close()
        else controller.enqueue(encodeChatStreamLine(step.value))
      },
    },
    { highWaterMark: 0 },
  )
}

let turnIndex = 0
function envelope(withReplay: boolean): ReadableStream<Uint8Array> {
  return handleChatTurn({
    identity: { tenantId: 'bench', sessionId: 's', userId: 'u', turnIndex: turnIndex++ },
    hooks: { produce: () => producer(), persistAssistantMessage: async () => {} },
    replay: withReplay ? createMemoryChatTurnReplayStore() : undefined,
  }).body
}

async function measure(open: () => ReadableStream<Uint8Array>): Promise<{ ttfbMs: number; totalMs: number; bytes: number }> {
  const t0 = performance.now()
  const reader = open().getReader()
  const first = await reader.read()
  const ttfbMs = performance.now() - t0
  let bytes = first.value?.length ?? 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.length
  }
  return { ttfbMs, totalMs: performance.now() - t0, bytes }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! }
}
const fmt = (x: { min: number; median: number; max: number }, digits = 2) => `${x.min.toFixed(digits)} / ${x.median.toFixed(digits)} / ${x.max.toFixed(digits)}`

async function main() {
  const variants: Array<[string, () => ReadableStream<Uint8Array>]> = [
    ['raw pipe (baseline)', rawPipe],
    ['handleChatTurn', () => envelope(false)],
    ['handleChatTurn + memory replay', () => envelope(true)],
  ]
  for (let i = 0; i < 3; i++) for (const [, open] of variants) await measure(open) // warm-up
  const rounds = new Map<string, { ttfb: number[]; total: number[]; rate: number[]; ttfbRatio: number[] }>(
    variants.map(([name]) => [name, { ttfb: [], total: [], rate: [], ttfbRatio: [] }]),
  )
  // Paired, interleaved rounds (order rotated each round): every ratio compares
  // runs made back to back, so drift in machine load hits both sides alike.
  for (let run = 0; run < RUNS; run++) {
    const order = [...variants]
    for (let k = 0; k < run % variants.length; k++) order.push(order.shift()!)
    const got = new Map<string, { ttfbMs: number; totalMs: number }>()
    for (const [name, open] of order) got.set(name, await measure(open))
    const base = got.get('raw pipe (baseline)')!
    for (const [name] of variants) {
      const r = got.get(name)!
      const row = rounds.get(name)!
      row.ttfb.push(r.ttfbMs)
      row.total.push(r.totalMs)
      row.rate.push(base.totalMs / r.totalMs)
      row.ttfbRatio.push(r.ttfbMs / base.ttfbMs)
    }
  }
  console.log(`chat-turn bench: ${EVENTS} events per turn, ${RUNS} paired interleaved rounds; min / median / max`)
  console.log('variant                          TTFB ms               events/s (median)  throughput vs raw (target >= 0.95, replay >= 0.85)  TTFB vs raw (target <= 2)')
  for (const [name] of variants) {
    const r = rounds.get(name)!
    const rate = Math.round(EVENTS / (stats(r.total).median / 1000))
    console.log(`${name.padEnd(32)} ${fmt(stats(r.ttfb), 3).padEnd(21)} ${String(rate).padStart(10)}         ${fmt(stats(r.rate)).padEnd(51)} ${fmt(stats(r.ttfbRatio))}`)
  }
}

await main()
