// Chat-stream parsing throughput: parseChatCompletionStream (SSE framing,
// JSON, tool-call assembly, usage) over a 10k-chunk OpenAI stream, against two
// baselines in the same run: decoding UTF-8 and splitting lines, and the
// physical floor that also JSON.parses every payload. The ratio to the floor
// is what understanding the stream costs beyond what no parser can avoid. Half the
// chunks carry text, a quarter carry tool-call fragments, and the network
// pieces are cut mid-line. Prints numbers; never asserts timings.
import { parseChatCompletionStream } from '@tangle-network/agent-runtime-core'

const CHUNKS = 10_000
const RUNS = 21

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

// The physical floor: decode, split and JSON.parse every data payload, and
// nothing else. Whatever parseChatCompletionStream costs beyond this is ours.
async function floorRun(pieces: Uint8Array[]): Promise<number> {
  const decoder = new TextDecoder()
  let buffer = ''
  let parsed = 0
  for await (const piece of pieces) {
    buffer += decoder.decode(piece, { stream: true })
    const parts = buffer.split('\n')
    buffer = parts.pop() ?? ''
    for (const line of parts) {
      if (line.startsWith('data: ') && line !== 'data: [DONE]') {
        JSON.parse(line.slice(6))
        parsed++
      }
    }
  }
  return parsed
}

type Run = (p: Uint8Array[]) => Promise<number>

async function time(run: Run, pieces: Uint8Array[]): Promise<number> {
  const t0 = performance.now()
  await run(pieces)
  return performance.now() - t0
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1] }
}
const fmt = (x: { min: number; median: number; max: number }, digits = 2) => `min ${x.min.toFixed(digits)} / median ${x.median.toFixed(digits)} / max ${x.max.toFixed(digits)}`

const pieces = buildStream()
const counts = { split: await splitLinesRun(pieces), floor: await floorRun(pieces), parse: await parseRun(pieces) }
// Warm the JIT on every path, then run paired, interleaved rounds (order
// rotated each round) so drift in machine load hits all three alike.
for (let i = 0; i < 3; i++) for (const r of [splitLinesRun, floorRun, parseRun]) await r(pieces)
const ms = { split: [] as number[], floor: [] as number[], parse: [] as number[] }
const vsFloor: number[] = []
const vsSplit: number[] = []
for (let round = 0; round < RUNS; round++) {
  const order: [keyof typeof ms, Run][] = [
    ['split', splitLinesRun],
    ['floor', floorRun],
    ['parse', parseRun],
  ]
  for (let k = 0; k < round % 3; k++) order.push(order.shift()!)
  const t: Record<string, number> = {}
  for (const [name, run] of order) t[name] = await time(run, pieces)
  for (const name of Object.keys(ms) as (keyof typeof ms)[]) ms[name].push(t[name])
  vsFloor.push(t.parse / t.floor)
  vsSplit.push(t.parse / t.split)
}
console.log(`stream: ${CHUNKS} chunks, ${pieces.length} network pieces, ${pieces.reduce((n, p) => n + p.length, 0)} bytes; ${RUNS} paired rounds`)
console.log(`baseline decode + split lines:             ${fmt(stats(ms.split))} ms (${counts.split} lines)`)
console.log(`floor decode + split + JSON.parse:         ${fmt(stats(ms.floor))} ms (${counts.floor} payloads)`)
console.log(`parseChatCompletionStream:                 ${fmt(stats(ms.parse))} ms (${counts.parse} events)`)
console.log(`ratio parse / floor (target <= 1.15):      ${fmt(stats(vsFloor))}`)
console.log(`ratio parse / decode+split:                ${fmt(stats(vsSplit))}`)
