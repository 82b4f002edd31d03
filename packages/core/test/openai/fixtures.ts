/**
 * Chat-completion streams in the wire formats real servers send: OpenAI chunk
 * objects (as returned by api.openai.com with `stream_options.include_usage`)
 * and Anthropic message events as passed through by the Tangle router.
 */

const CREATED = 1_735_000_000

/** One OpenAI `chat.completion.chunk`. */
export function openaiChunk(delta: Record<string, unknown>, finishReason: string | null = null, extra: Record<string, unknown> = {}) {
  return {
    id: 'chatcmpl-AbC123',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_0aa8d3e20b',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    usage: null,
    ...extra,
  }
}

/** The usage-only tail chunk OpenAI sends last when `include_usage` is set. */
export function openaiUsageChunk(promptTokens: number, completionTokens: number) {
  return {
    id: 'chatcmpl-AbC123',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'gpt-4o-mini-2024-07-18',
    system_fingerprint: 'fp_0aa8d3e20b',
    choices: [],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
  }
}

/** Frames objects as OpenAI SSE: `data: {json}\n\n` each, then `data: [DONE]`. */
export function openaiSse(chunks: unknown[], options: { done?: boolean; eol?: string } = {}): string {
  const eol = options.eol ?? '\n'
  const frames = chunks.map((c) => `data: ${JSON.stringify(c)}${eol}${eol}`)
  if (options.done !== false) frames.push(`data: [DONE]${eol}${eol}`)
  return frames.join('')
}

/** A plain text reply split into the given pieces, with a usage tail. */
export function openaiTextStream(pieces: string[], usage: [number, number] = [50, 12], options: { eol?: string } = {}): string {
  return openaiSse(
    [
      openaiChunk({ role: 'assistant', content: '', refusal: null }),
      ...pieces.map((p) => openaiChunk({ content: p })),
      openaiChunk({}, 'stop'),
      openaiUsageChunk(usage[0], usage[1]),
    ],
    options,
  )
}

/** Tool calls as OpenAI streams them: id and name first, then argument fragments, by index. */
export function openaiToolCallStream(calls: { id: string; name: string; argFragments: string[] }[], options: { interleave?: boolean } = {}): string {
  const chunks: unknown[] = [openaiChunk({ role: 'assistant', content: null, refusal: null })]
  calls.forEach((c, index) => {
    chunks.push(openaiChunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] }))
  })
  const longest = Math.max(...calls.map((c) => c.argFragments.length))
  if (options.interleave) {
    for (let i = 0; i < longest; i++) {
      calls.forEach((c, index) => {
        if (i < c.argFragments.length) chunks.push(openaiChunk({ tool_calls: [{ index, function: { arguments: c.argFragments[i] } }] }))
      })
    }
  } else {
    calls.forEach((c, index) => {
      for (const f of c.argFragments) chunks.push(openaiChunk({ tool_calls: [{ index, function: { arguments: f } }] }))
    })
  }
  chunks.push(openaiChunk({}, 'tool_calls'), openaiUsageChunk(82, 41))
  return openaiSse(chunks)
}

/** Frames Anthropic message events: `event: <type>\ndata: {json}\n\n`. */
export function anthropicSse(events: Record<string, unknown>[]): string {
  return events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('')
}

/** An Anthropic reply: some text, then one tool_use block streamed as input_json_delta. */
export function anthropicToolUseStream(): string {
  return anthropicSse([
    {
      type: 'message_start',
      message: {
        id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
        type: 'message',
        role: 'assistant',
        content: [],
        model: 'claude-sonnet-4-20250514',
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 50, output_tokens: 1 },
      },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me check ' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'the weather.' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"location": "San Fra' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'ncisco, CA", "unit": "fahrenheit"}' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 12 } },
    { type: 'message_stop' },
  ])
}

/** A reply with reasoning first (DeepSeek/vLLM `reasoning_content`), then the answer. */
export function openaiReasoningStream(): string {
  return openaiSse([
    openaiChunk({ role: 'assistant', content: '' }),
    openaiChunk({ reasoning_content: 'The user greets; ' }),
    openaiChunk({ reasoning_content: 'answer briefly.' }),
    openaiChunk({ content: 'Hello!' }),
    openaiChunk({}, 'stop'),
    openaiUsageChunk(9, 20),
  ])
}
