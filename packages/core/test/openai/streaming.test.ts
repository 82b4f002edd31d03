import { createOpenAICompatibleBackend, type OpenAIChatTool, ValidationError } from '@tangle-network/agent-runtime-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { anthropicSse, anthropicToolUseStream, openaiChunk, openaiReasoningStream, openaiSse, openaiTextStream, openaiToolCallStream, openaiUsageChunk } from './fixtures.js'
import { collect, ctx, task } from './helpers.js'
import { type ReplayServer, startReplayServer } from './replay-server.js'

let server: ReplayServer
beforeAll(async () => {
  server = await startReplayServer()
})
afterAll(() => server.close())

const weatherTool: OpenAIChatTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } },
}

describe('createOpenAICompatibleBackend over loopback HTTP', () => {
  it('streams plain text and one llm_call with usage and finish reason', async () => {
    const { baseUrl } = server.script({ body: openaiTextStream(['Hel', 'lo', ' world'], [50, 12]) })
    const backend = createOpenAICompatibleBackend({ apiKey: 'sk-test', baseUrl, model: 'gpt-4o-mini' })
    expect(backend.kind).toBe('tcloud')
    expect(await collect(backend)).toEqual([
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo' },
      { type: 'text_delta', text: ' world' },
      { type: 'llm_call', model: 'gpt-4o-mini', tokensIn: 50, tokensOut: 12, finishReason: 'stop' },
    ])
  })

  it('sends the spec request: POST, bearer auth, stream_options, messages, propagated headers', async () => {
    const s = server.script({ body: openaiTextStream(['ok']) })
    const backend = createOpenAICompatibleBackend({ apiKey: 'sk-test', baseUrl: `${s.baseUrl}///`, model: 'gpt-4o-mini', headers: { 'x-static': '1' } })
    await collect(backend, 'What is 2+2?', ctx({ propagatedHeaders: { traceparent: '00-abc-def-01', 'X-Static': 'overridden' } }))
    const [req] = s.requests
    expect(req.method).toBe('POST')
    expect(req.path).toBe('/v1/chat/completions')
    expect(req.headers.authorization).toBe('Bearer sk-test')
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.headers.traceparent).toBe('00-abc-def-01')
    expect(req.headers['x-static']).toBe('overridden')
    expect(req.body).toEqual({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'What is 2+2?' }] })
  })

  it('lets a propagated Authorization header replace the key instead of joining it', async () => {
    const s = server.script({ body: openaiTextStream(['ok']) })
    await collect(createOpenAICompatibleBackend({ apiKey: 'sk-own', baseUrl: s.baseUrl, model: 'm' }), 'x', ctx({ propagatedHeaders: { Authorization: 'Bearer delegated' } }))
    expect(s.requests[0].headers.authorization).toBe('Bearer delegated')
  })

  it('sends every request through an injected fetchImpl', async () => {
    const s = server.script({ body: openaiTextStream(['via custom fetch']) })
    const urls: string[] = []
    const fetchImpl: typeof fetch = (input, init) => {
      urls.push(String(input))
      return fetch(input, init)
    }
    const events = await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: s.baseUrl, model: 'm', fetchImpl }))
    expect(events[0]).toEqual({ type: 'text_delta', text: 'via custom fetch' })
    expect(urls).toEqual([`${s.baseUrl}/chat/completions`])
  })

  it('uses input.messages verbatim, else task.intent, and omits auth without a key', async () => {
    const s = server.script({ body: openaiTextStream(['ok']) })
    const backend = createOpenAICompatibleBackend({ baseUrl: s.baseUrl, model: 'llama3.2' })
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hi' },
    ]
    for await (const _ of backend.stream({ task, messages }, ctx())) void _
    for await (const _ of backend.stream({ task }, ctx())) void _
    expect(s.requests[0].body.messages).toEqual(messages)
    expect(s.requests[1].body.messages).toEqual([{ role: 'user', content: 'answer' }])
    expect(s.requests[0].headers.authorization).toBeUndefined()
  })

  it('sends tools verbatim with every tool_choice form, and the optional sampling fields', async () => {
    const choices = ['auto', 'none', 'required', { type: 'function', function: { name: 'get_weather' } }] as const
    for (const toolChoice of choices) {
      const s = server.script({ body: openaiTextStream(['ok']) })
      const backend = createOpenAICompatibleBackend({
        apiKey: 'k',
        baseUrl: s.baseUrl,
        model: 'm',
        tools: [weatherTool],
        toolChoice,
        responseFormat: { type: 'json_object' },
        temperature: 0.2,
        maxTokens: 256,
      })
      await collect(backend)
      expect(s.requests[0].body).toMatchObject({ tools: [weatherTool], tool_choice: toolChoice, response_format: { type: 'json_object' }, temperature: 0.2, max_tokens: 256 })
    }
    const s = server.script({ body: openaiTextStream(['ok']) })
    await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: s.baseUrl, model: 'm', tools: [], toolChoice: 'auto' }))
    expect(s.requests[0].body).not.toHaveProperty('tools')
    expect(s.requests[0].body).not.toHaveProperty('tool_choice')
  })

  it('assembles one fragmented tool call and never executes it', async () => {
    const { baseUrl } = server.script({ body: openaiToolCallStream([{ id: 'call_abc', name: 'get_weather', argFragments: ['{"loc', 'ation": "Par', 'is"}'] }]) })
    const events = await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl, model: 'gpt-4o-mini', tools: [weatherTool] }))
    expect(events).toEqual([
      { type: 'tool_call', toolName: 'get_weather', toolCallId: 'call_abc', args: { location: 'Paris' } },
      { type: 'llm_call', model: 'gpt-4o-mini', tokensIn: 82, tokensOut: 41, finishReason: 'tool_calls' },
    ])
  })

  it('assembles parallel tool calls by index, interleaved, in index order', async () => {
    const { baseUrl } = server.script({
      body: openaiToolCallStream(
        [
          { id: 'call_1', name: 'get_weather', argFragments: ['{"location":', '"Paris"}'] },
          { id: 'call_2', name: 'get_time', argFragments: ['{"tz":', '"CET"}'] },
          { id: 'call_3', name: 'noop', argFragments: [] },
        ],
        { interleave: true },
      ),
    })
    const events = await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl, model: 'gpt-4o-mini' }))
    expect(events.filter((e) => e.type === 'tool_call')).toEqual([
      { type: 'tool_call', toolName: 'get_weather', toolCallId: 'call_1', args: { location: 'Paris' } },
      { type: 'tool_call', toolName: 'get_time', toolCallId: 'call_2', args: { tz: 'CET' } },
      { type: 'tool_call', toolName: 'noop', toolCallId: 'call_3', args: {} },
    ])
  })

  it('keeps malformed arguments as the raw string and flushes unfinished calls at end of stream', async () => {
    const body = openaiSse(
      [
        openaiChunk({ tool_calls: [{ index: 0, id: 'call_x', type: 'function', function: { name: 'broken', arguments: '{"a": 1,' } }] }),
        openaiChunk({ tool_calls: [{ index: 1, id: 'call_y', type: 'function', function: { name: 'unflushed', arguments: '{"b":2}' } }] }),
      ],
      { done: false },
    )
    const { baseUrl } = server.script({ body })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl, model: 'm' }))).toEqual([
      { type: 'tool_call', toolName: 'broken', toolCallId: 'call_x', args: '{"a": 1,' },
      { type: 'tool_call', toolName: 'unflushed', toolCallId: 'call_y', args: { b: 2 } },
    ])
  })

  it('splits calls when a server reuses index 0 with new ids', async () => {
    const body = openaiSse([
      openaiChunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'one', arguments: '{"n":1}' } }] }),
      openaiChunk({ tool_calls: [{ index: 0, id: 'b', function: { name: 'two', arguments: '{"n":2}' } }] }),
      openaiChunk({}, 'tool_calls'),
    ])
    const { baseUrl } = server.script({ body })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl, model: 'm' }))).toEqual([
      { type: 'tool_call', toolName: 'one', toolCallId: 'a', args: { n: 1 } },
      { type: 'tool_call', toolName: 'two', toolCallId: 'b', args: { n: 2 } },
      { type: 'llm_call', model: 'm', finishReason: 'tool_calls' },
    ])
  })

  it('reads Anthropic tool_use with input_json_delta and its usage 50/12', async () => {
    const { baseUrl } = server.script({ body: anthropicToolUseStream() })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl, model: 'claude-sonnet-4' }))).toEqual([
      { type: 'text_delta', text: 'Let me check ' },
      { type: 'text_delta', text: 'the weather.' },
      { type: 'tool_call', toolName: 'get_weather', toolCallId: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', args: { location: 'San Francisco, CA', unit: 'fahrenheit' } },
      { type: 'llm_call', model: 'claude-sonnet-4', tokensIn: 50, tokensOut: 12, finishReason: 'tool_use' },
    ])
  })

  it('emits reasoning_delta for reasoning_content and Anthropic thinking', async () => {
    const a = server.script({ body: openaiReasoningStream() })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: a.baseUrl, model: 'deepseek-r1' }))).toEqual([
      { type: 'reasoning_delta', text: 'The user greets; ' },
      { type: 'reasoning_delta', text: 'answer briefly.' },
      { type: 'text_delta', text: 'Hello!' },
      { type: 'llm_call', model: 'deepseek-r1', tokensIn: 9, tokensOut: 20, finishReason: 'stop' },
    ])
    const b = server.script({
      body: anthropicSse([
        { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Hmm.' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Yes.' } },
      ]),
    })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: b.baseUrl, model: 'c' }))).toEqual([
      { type: 'reasoning_delta', text: 'Hmm.' },
      { type: 'text_delta', text: 'Yes.' },
    ])
  })

  it('prices the llm_call from a pricing table or a single entry', async () => {
    const table = server.script({ body: openaiTextStream(['x'], [1_000_000, 500_000]) })
    const [, priced] = await collect(
      createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: table.baseUrl, model: 'gpt-4o-mini', pricing: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } } }),
    )
    expect(priced).toMatchObject({ type: 'llm_call', costUsd: 0.45 })
    const single = server.script({ body: openaiTextStream(['x'], [2_000_000, 0]) })
    const [, one] = await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: single.baseUrl, model: 'any', pricing: { inputPerMTok: 1, outputPerMTok: 2 } }))
    expect(one).toMatchObject({ costUsd: 2 })
    const unknown = server.script({ body: openaiTextStream(['x']) })
    const [, unpriced] = await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: unknown.baseUrl, model: 'other', pricing: { 'gpt-4o': { inputPerMTok: 1, outputPerMTok: 1 } } }))
    expect(unpriced).not.toHaveProperty('costUsd')
  })

  it('survives slow chunks cut mid-line and mid-UTF-8 character, with CRLF line ends', async () => {
    const body = openaiTextStream(['Grüße ', '🌍 ', 'done'], [5, 3], { eol: '\r\n' })
    const bytes = Buffer.from(body)
    // Cuts inside 'ü' (2 bytes), inside '🌍' (4 bytes), between a CR and its LF, and mid-line.
    const cuts = [bytes.indexOf(Buffer.from('ü')) + 1, bytes.indexOf(Buffer.from('🌍')) + 2, bytes.indexOf('\r\n', 200) + 1, bytes.length - 7].sort((a, b) => a - b)
    const chunks = [0, ...cuts].map((start, i) => bytes.subarray(start, [...cuts, bytes.length][i]))
    const { baseUrl } = server.script({ chunks, chunkDelayMs: 15 })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl, model: 'm' }))).toEqual([
      { type: 'text_delta', text: 'Grüße ' },
      { type: 'text_delta', text: '🌍 ' },
      { type: 'text_delta', text: 'done' },
      { type: 'llm_call', model: 'm', tokensIn: 5, tokensOut: 3, finishReason: 'stop' },
    ])
  })

  it('tolerates NDJSON (Ollama), comments and a usage-only tail', async () => {
    const ndjson = [
      { model: 'llama3.2', message: { role: 'assistant', content: 'Hi' }, done: false },
      { model: 'llama3.2', message: { role: 'assistant', content: ' there' }, done: false },
      { model: 'llama3.2', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 26, eval_count: 4 },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n')
    const a = server.script({ body: `: keep-alive\n${ndjson}\n`, headers: { 'content-type': 'application/x-ndjson' } })
    expect(await collect(createOpenAICompatibleBackend({ baseUrl: a.baseUrl, model: 'llama3.2' }))).toEqual([
      { type: 'text_delta', text: 'Hi' },
      { type: 'text_delta', text: ' there' },
      { type: 'llm_call', model: 'llama3.2', tokensIn: 26, tokensOut: 4, finishReason: 'stop' },
    ])
    const b = server.script({ body: openaiSse([openaiUsageChunk(7, 0)]) })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: b.baseUrl, model: 'm' }))).toEqual([{ type: 'llm_call', model: 'm', tokensIn: 7, tokensOut: 0 }])
  })

  it('turns non-JSON data into raw text', async () => {
    const { baseUrl } = server.script({ body: 'data: plain words\n\ndata: [DONE]\n\n' })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl, model: 'm' }))).toEqual([{ type: 'text_delta', text: 'plain words' }])
  })

  it('keeps the line breaks of multi-line plain-text data, but still splits several JSON objects in one event', async () => {
    const a = server.script({ body: 'data: first line\ndata: second line\n\ndata: [DONE]\n\n' })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: a.baseUrl, model: 'm' }))).toEqual([{ type: 'text_delta', text: 'first line\nsecond line' }])
    const joined = `data: ${JSON.stringify(openaiChunk({ content: 'a' }))}\ndata: ${JSON.stringify(openaiChunk({ content: 'b' }))}\n\n`
    const b = server.script({ body: joined })
    expect(await collect(createOpenAICompatibleBackend({ apiKey: 'k', baseUrl: b.baseUrl, model: 'm' }))).toEqual([
      { type: 'text_delta', text: 'a' },
      { type: 'text_delta', text: 'b' },
    ])
  })

  it('rejects bad options with ValidationError naming the value', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ baseUrl: '', model: 'm' }, /baseUrl must be a non-empty string; got ""/],
      [{ baseUrl: 'not a url', model: 'm' }, /baseUrl "not a url" is not an absolute URL/],
      [{ baseUrl: 'http://x/v1', model: ' ' }, /model must be a non-empty string/],
      [{ baseUrl: 'http://x/v1', model: 'm', temperature: 3 }, /temperature must be a number in \[0, 2\]; got 3/],
      [{ baseUrl: 'http://x/v1', model: 'm', maxTokens: 0 }, /maxTokens must be a positive integer; got 0/],
      [{ baseUrl: 'http://x/v1', model: 'm', pricing: { m: { inputPerMTok: -1, outputPerMTok: 1 } } }, /pricing\["m"\]\.inputPerMTok must be a finite number ≥ 0/],
      [{ baseUrl: 'http://x/v1', model: 'm', retry: { maxAttempts: 0 } }, /retry\.maxAttempts must be an integer ≥ 1; got 0/],
      [{ baseUrl: 'http://x/v1', model: 'm', retry: { jitter: 2 } }, /retry\.jitter must be a number in \[0, 1\]; got 2/],
    ]
    for (const [options, message] of cases) {
      let caught: any
      try {
        createOpenAICompatibleBackend(options as any)
      } catch (err) {
        caught = err
      }
      expect(caught).toBeInstanceOf(ValidationError)
      expect(caught.code).toBe('validation')
      expect(caught.message).toMatch(message)
    }
  })
})
