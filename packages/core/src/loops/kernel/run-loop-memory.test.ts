import v8 from 'node:v8'
import vm from 'node:vm'
import type { SandboxEvent } from '@tangle-network/agent-runtime-core'
import { createRefineDriver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { describe, expect, it } from 'vitest'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

const EVENTS = 100_000

/** Heap in use while the output adapter runs (the loop, its abort gate and every event still alive). */
async function heapDuringParse(signal: AbortSignal | undefined): Promise<number> {
  let heap = 0
  const box = {
    id: 'long-stream',
    async *streamPrompt() {
      for (let i = 0; i < EVENTS; i++) yield { type: 'progress', data: {} }
    },
  }
  await runLoop({
    driver: createRefineDriver<string, number>({ maxIterations: 1 }),
    agentRun: { profile: { name: 'p' }, taskToPrompt: (t: string) => t },
    output: {
      parse: (events: SandboxEvent[]) => {
        gc()
        heap = process.memoryUsage().heapUsed
        return events.length
      },
    },
    validator: { validate: () => ({ valid: true, score: 1 }) },
    task: 't',
    maxIterations: 1,
    ctx: { sandboxClient: { create: async () => box }, signal },
  })
  return heap
}

describe('runLoop memory', () => {
  it('an abort signal costs no memory per streamed event', async () => {
    gc()
    const base = process.memoryUsage().heapUsed
    const without = (await heapDuringParse(undefined)) - base
    gc()
    const base2 = process.memoryUsage().heapUsed
    const withSignal = (await heapDuringParse(new AbortController().signal)) - base2
    // Before the fix every event left a pending reaction on the loop's abort promise (~3x the events' own memory).
    expect(withSignal / without).toBeLessThan(1.5)
  })
})
