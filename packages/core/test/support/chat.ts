/** Test helper (not shipped): producers and readers for the chat-turn tests. */
import { type ChatStreamEvent, type ChatTurnProduceContext, type ChatTurnProducer, readChatStream } from '@tangle-network/agent-runtime-core'

/** Reads a whole NDJSON body. */
export async function readAll(body: ReadableStream<Uint8Array>): Promise<ChatStreamEvent[]> {
  const out: ChatStreamEvent[] = []
  for await (const event of readChatStream(body)) out.push(event)
  return out
}

/** Reads exactly `n` lines and leaves the reader locked (the turn stays open). */
export async function readLines(reader: ReadableStreamDefaultReader<Uint8Array>, n: number, carry = { text: '' }): Promise<ChatStreamEvent[]> {
  const decoder = new TextDecoder()
  const out: ChatStreamEvent[] = []
  while (out.length < n) {
    const newline = carry.text.indexOf('\n')
    if (newline !== -1) {
      out.push(JSON.parse(carry.text.slice(0, newline)))
      carry.text = carry.text.slice(newline + 1)
      continue
    }
    const { done, value } = await reader.read()
    if (done) throw new Error(`stream ended after ${out.length} of ${n} lines`)
    carry.text += decoder.decode(value, { stream: true })
  }
  return out
}

/** Lets pending promise jobs and I/O callbacks run. */
export async function settleTicks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve))
}

export interface ScriptedProducerProbe {
  produced: number
  finalTextReads: number
  finished: boolean
  signals: AbortSignal[]
  produceCalls: number
}

/**
 * A producer emitting `text_delta` events for each token; records how far it
 * was pulled, whether its `finally` ran and which signal it was handed.
 */
export function scriptedProduce(
  tokens: string[],
  options: { throwAfter?: number; failFinalText?: boolean; waitBeforeEach?: (signal: AbortSignal) => Promise<void> } = {},
): { produce: (ctx: ChatTurnProduceContext) => ChatTurnProducer; probe: ScriptedProducerProbe } {
  const probe: ScriptedProducerProbe = { produced: 0, finalTextReads: 0, finished: false, signals: [], produceCalls: 0 }
  const produce = (ctx: ChatTurnProduceContext): ChatTurnProducer => {
    probe.produceCalls++
    probe.signals.push(ctx.signal)
    let text = ''
    async function* stream() {
      try {
        for (const [i, token] of tokens.entries()) {
          if (options.waitBeforeEach) await options.waitBeforeEach(ctx.signal)
          if (options.throwAfter === i) throw new Error(`model stream broke after ${i} tokens`)
          text += token
          probe.produced++
          yield { type: 'text_delta', data: { text: token } }
        }
      } finally {
        probe.finished = true
      }
    }
    return {
      stream: stream(),
      finalText: () => {
        probe.finalTextReads++
        if (options.failFinalText) throw new Error('finalText unavailable')
        return text
      },
    }
  }
  return { produce, probe }
}

/**
 * A wait that rejects with an AbortError when the signal aborts; resolves when `release()` is called.
 * `reached` resolves once something is waiting at the gate, so tests synchronise on it instead of sleeping.
 */
export function gate(): { wait: (signal: AbortSignal) => Promise<void>; release: () => void; reached: Promise<void> } {
  let waiters: Array<() => void> = []
  let markReached!: () => void
  const reached = new Promise<void>((r) => {
    markReached = r
  })
  return {
    reached,
    wait: (signal) =>
      new Promise<void>((resolve, reject) => {
        markReached()
        if (signal.aborted) return reject(signal.reason)
        const onAbort = () => reject(signal.reason)
        signal.addEventListener('abort', onAbort, { once: true })
        waiters.push(() => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        })
      }),
    release: () => {
      const now = waiters
      waiters = []
      for (const w of now) w()
    },
  }
}
