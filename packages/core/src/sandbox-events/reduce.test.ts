import { createSandboxEventReducer, readSandboxTextDelta, readSandboxUsage, reduceSandboxEvents, type SandboxEvent } from '@tangle-network/agent-runtime-core'
import { describe, expect, it } from 'vitest'

const ev = (type: string, data: Record<string, unknown> = {}): SandboxEvent => ({ type, data })

describe('reduceSandboxEvents', () => {
  it('adds up message parts by id, appending deltas and replacing contents', async () => {
    const turn = await reduceSandboxEvents([
      ev('message.part.updated', { part: { id: 'a', type: 'text', text: 'Hel' }, delta: 'Hel' }),
      ev('message.part.updated', { part: { id: 'b', type: 'tool', state: 'running' } }),
      ev('message.part.updated', { part: { id: 'c', type: 'text', text: ' there' } }),
      ev('message.part.updated', { part: { id: 'a', type: 'text', text: 'Hello' } }),
    ])
    expect(turn).toMatchObject({ text: 'Hello there', terminated: false })
  })

  it('keeps the whole-text replace for parts without ids and reads message.updated content', async () => {
    expect((await reduceSandboxEvents([ev('text_delta', { text: 'x' }), ev('message.part.updated', { part: { type: 'text', content: 'whole' } })])).text).toBe('whole')
    expect((await reduceSandboxEvents([ev('delta', { delta: 'a' }), ev('message.updated', { content: 'final answer' })])).text).toBe('final answer')
  })

  it('lets result or final text override the deltas and stops there', async () => {
    expect(await reduceSandboxEvents([ev('text_delta', { text: 'x' }), ev('final', { text: 'done' }), ev('text_delta', { text: 'ignored' })])).toMatchObject({
      text: 'done',
      terminated: true,
    })
    expect((await reduceSandboxEvents([ev('text_delta', { text: 'kept' }), ev('result', {})])).text).toBe('kept')
  })

  it('sums usage across events, keeps the model, the trace id and the last error', async () => {
    const turn = await reduceSandboxEvents([
      ev('llm_call', { tokensIn: 10, tokensOut: 5, costUsd: 0.01, model: 'm1' }),
      ev('status', { usage: { prompt_tokens: 1, completion_tokens: 2 } }),
      ev('trace.id', { traceId: 'tr' }),
      ev('error', { error: 'first' }),
      ev('error', { error: { message: 'second' } }),
      ev('done'),
    ])
    expect(turn).toEqual({ text: '', usage: { inputTokens: 11, outputTokens: 7, costUsd: 0.01 }, costUsd: 0.01, traceId: 'tr', error: 'second', terminated: true, model: 'm1' })
  })

  it('takes the totals of a result carrying usage instead of adding them to the per-step usage again', async () => {
    const turn = await reduceSandboxEvents([
      ev('llm_call', { tokensIn: 10, tokensOut: 5, costUsd: 0.01 }),
      ev('llm_call', { tokensIn: 20, tokensOut: 7, costUsd: 0.02 }),
      ev('result', { finalText: 'ok', tokenUsage: { inputTokens: 30, outputTokens: 12 }, cost: 0.03 }),
    ])
    expect(turn).toMatchObject({ text: 'ok', usage: { inputTokens: 30, outputTokens: 12, costUsd: 0.03 }, costUsd: 0.03 })
    // A result without usage leaves the streamed sum as it is.
    expect((await reduceSandboxEvents([ev('usage', { inputTokens: 4, outputTokens: 2 }), ev('result', { finalText: 'x' })])).usage).toEqual({ inputTokens: 4, outputTokens: 2 })
  })

  it('exposes the incremental reducer and per-event readers', () => {
    const r = createSandboxEventReducer()
    expect(r.push(ev('text_delta', { text: 'a' }))).toBe(false)
    expect(r.push(ev('done'))).toBe(true)
    expect(r.push(ev('text_delta', { text: 'b' }))).toBe(true)
    expect(r.result().text).toBe('a')
    expect(readSandboxTextDelta(ev('message.part.updated', { part: { id: 'p', type: 'text' }, delta: 'd' }))).toEqual({ text: 'd', replace: false, partId: 'p' })
    expect(readSandboxUsage(ev('result', { tokenUsage: { inputTokens: 3, outputTokens: 4 } }))).toEqual({ inputTokens: 3, outputTokens: 4, costUsd: undefined, model: undefined })
  })
})
