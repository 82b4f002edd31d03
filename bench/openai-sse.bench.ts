// Chat-stream parsing throughput: parseChatCompletionStream (SSE framing,
// JSON, tool-call assembly, usage) over a 10k-chunk OpenAI stream, against a
// baseline in the same run that only decodes UTF-8 and splits lines. The ratio
// is the cost of understanding the stream over merely reading it. Half the
// chunks carry text, a quarter carry tool-call fragments, and the network
// pieces are cut mid-line. Prints numbers; never asserts timings.
import { parseChatCompletionStream } from '@tangle-network/agent-runtime-core'

const CHUNKS = 10_000
const RUNS = 15

function buildStream(): Uint8Array[] {
  const frames: string[] = []
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_735_000_000, model: 'gpt-4o-mini-2024-07-18', system_fingerprint: 'fp_bench' }
  for (let i = 0; i < CHUNKS; i++) {
    const delta =
      i % 4 === 3
        ? { tool_calls: [{ index: i % 3, ...(i < 12 ? { id: `call_${i % 3}`, type: 'function', function: { name: 'search', arguments: '' } } : { function: { arguments: '"x' } }) }] }
        : { content: `token ${i} ` }
    frames.push(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: null }], usage: null })}\n\n`)
  }
  frames.push(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 100, completion_tokens: CHUNKS } })}\n\n`, 'data: [DONE]\n\n')
  // Cut into network-sized pieces that straddle frame boundaries.
  const bytes = new TextEncoder().encode(frames.join(''))
  const pieces: Uint8Array[] = []
  for (let i = 0, size = 97; i < bytes.length; i += size, size = size === 97 ? 211 : 97) pieces.push(bytes.subarray(i, i + size))
  return pieces
}

async function parseRun(pieces: Uint8Array[]): Promise<number> {
  let events = 0
  for await (const _ of parseChatCompletionStream(pieces, { model: 'gpt-4o-mini' })) events++
  return events
}

async function splitLinesRun(pieces: Uint8Array[]): Promise<number> {
  const decoder = new TextDecoder()
  let buffer = ''
  let lines = 0
  for await (const piece of pieces) {
    buffer += decoder.decode(piece, { stream: true })
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    lines += parts.length
  }
  return lines
}

async function measure(run: (p: Uint8Array[]) => Promise<number>, pieces: Uint8Array[]): Promise<{ medianMs: number; count: number }> {
  const times: number[] = []
  let count = 0
  for (let i = 0; i < RUNS + 3; i++) {
    const t0 = performance.now()
    count = await run(pieces)
    if (i >= 3) times.push(performance.now() - t0) // the first three runs warm the JIT
  }
  times.sort((a, b) => a - b)
  return { medianMs: times[Math.floor(times.length / 2)], count }
}

const pieces = buildStream()
const baseline = await measure(splitLinesRun, pieces)
const parsed = await measure(parseRun, pieces)
const rate = (count: number, ms: number) => Math.round((count / ms) * 1000)
console.log(`stream: ${CHUNKS} chunks, ${pieces.length} network pieces, ${pieces.reduce((n, p) => n + p.length, 0)} bytes`)
console.log(`baseline (decode + split lines): ${baseline.medianMs.toFixed(2)} ms, ${baseline.count} lines, ${rate(CHUNKS, baseline.medianMs)} chunks/s`)
console.log(`parseChatCompletionStream:       ${parsed.medianMs.toFixed(2)} ms, ${parsed.count} events, ${rate(parsed.count, parsed.medianMs)} events/s`)
console.log(`ratio (parse time / baseline time): ${(parsed.medianMs / baseline.medianMs).toFixed(2)}x`)
