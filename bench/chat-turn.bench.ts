/**
 * The handleChatTurn envelope against piping the producer straight into an
 * NDJSON ReadableStream (the least a route could do), same producer, same
 * process. Measures time to first byte (TTFB) and events per second over a
 * 10k-event turn, drained by a reader as fast as it can. A third row adds a
 * memory replay store (events stored in batches for retries).
 *
 * Ratios are baseline / ours for time (TTFB) and ours / baseline for
 * throughput, so 1.00 means "as fast as the raw pipe" and lower means slower.
 * Env: BENCH_CHAT_EVENTS (default 10000), BENCH_CHAT_RUNS (default 7).
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
const RUNS = Number(process.env.BENCH_CHAT_RUNS ?? 7)

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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main() {
  const variants: Array<[string, () => ReadableStream<Uint8Array>]> = [
    ['raw pipe (baseline)', rawPipe],
    ['handleChatTurn', () => envelope(false)],
    ['handleChatTurn + memory replay', () => envelope(true)],
  ]
  for (const [, open] of variants) await measure(open) // warm-up
  const results = new Map<string, { ttfb: number[]; total: number[] }>(variants.map(([name]) => [name, { ttfb: [], total: [] }]))
  for (let run = 0; run < RUNS; run++) {
    for (const [name, open] of variants) {
      const r = await measure(open)
      results.get(name)!.ttfb.push(r.ttfbMs)
      results.get(name)!.total.push(r.totalMs)
    }
  }
  const base = results.get('raw pipe (baseline)')!
  const baseTtfb = median(base.ttfb)
  const baseRate = EVENTS / (median(base.total) / 1000)
  console.log(`chat-turn bench: ${EVENTS} events per turn, median of ${RUNS} runs`)
  console.log('variant                           TTFB ms   events/s    TTFB ratio  throughput ratio')
  for (const [name] of variants) {
    const r = results.get(name)!
    const ttfb = median(r.ttfb)
    const rate = EVENTS / (median(r.total) / 1000)
    console.log(
      `${name.padEnd(32)} ${ttfb.toFixed(3).padStart(8)} ${Math.round(rate).toString().padStart(10)}    ${(baseTtfb / ttfb).toFixed(2).padStart(8)}x  ${(rate / baseRate).toFixed(2).padStart(10)}x`,
    )
  }
}

await main()
