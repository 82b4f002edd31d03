import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..', '..', '..')
const run = (env: Record<string, string>) => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['OPENAI_API_KEY', 'TANGLE_API_KEY', 'MODEL_PROVIDER', 'MODEL_NAME', 'OPENAI_BASE_URL'].includes(k)))
  return promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/openai-stream-backend/main.ts'], { cwd: ROOT, env: { ...clean, ...env } })
}

describe('examples/openai-stream-backend', () => {
  it('runs against the local stand-in without a key', async () => {
    const { stdout } = await run({})
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^endpoint: local stand-in at http:\/\/127\.0\.0\.1:\d+\/v1/)
    expect(lines).toContain('tool_call get_weather {"location":"Paris"}')
    expect(lines).toContainEqual(expect.stringMatching(/^llm_call model=gpt-4o-mini in=42 out=\d+ finish=tool_calls cost=\$0\.0000\d+$/))
    expect(lines).toContain('text: You asked: "What is the weather in Paris? Use the tool.". Let me look that up.')
    expect(lines.at(-1)).toBe('final completed')
  })

  it('takes the key path through createDefaultBackend when OPENAI_API_KEY is set', async () => {
    const seen: { auth?: string; body?: any } = {}
    const server = createServer(async (req, res) => {
      let body = ''
      for await (const p of req) body += p
      seen.auth = req.headers.authorization
      seen.body = JSON.parse(body)
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.end(`data: {"choices":[{"delta":{"content":"Sunny."},"finish_reason":"stop"}]}\n\ndata: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}}\n\ndata: [DONE]\n\n`)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    try {
      const { port } = server.address() as AddressInfo
      const { stdout } = await run({ OPENAI_API_KEY: 'sk-example', OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` })
      expect(stdout).toContain('endpoint: real (OpenAI), model gpt-4o-mini')
      expect(stdout).toContain('text: Sunny.')
      expect(stdout.trim().split('\n').at(-1)).toBe('final completed')
      expect(seen.auth).toBe('Bearer sk-example')
      expect(seen.body).toMatchObject({ model: 'gpt-4o-mini', tool_choice: 'auto', max_tokens: 200, tools: [{ function: { name: 'get_weather' } }] })
    } finally {
      await new Promise((r) => server.close(r))
    }
  })
})
