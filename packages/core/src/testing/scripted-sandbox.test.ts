import { describe, expect, it } from 'vitest'
import type { SandboxEvent } from '@tangle-network/agent-runtime-core'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'

const drain = async (it: AsyncIterable<SandboxEvent>): Promise<SandboxEvent[]> => {
  const out: SandboxEvent[] = []
  for await (const e of it) out.push(e)
  return out
}

describe('createScriptedSandboxClient', () => {
  it('echoes the prompt by default and records boxes, prompts and deletes', async () => {
    const client = createScriptedSandboxClient({ idPrefix: 'box' })
    const box = await client.create({ backend: { type: 'opencode' } })
    expect(await drain(box.streamPrompt('hello'))).toEqual([{ type: 'result', data: { finalText: 'hello' } }])
    expect(client.created).toEqual(['box-0'])
    expect(client.boxes[0].createOptions).toEqual({ backend: { type: 'opencode' } })
    expect(client.prompts).toEqual([{ boxId: 'box-0', prompt: 'hello', options: undefined }])
    expect(client.liveBoxIds()).toEqual(['box-0'])
    await box.delete?.()
    expect(client.deleted).toEqual(['box-0'])
    expect(client.liveBoxIds()).toEqual([])
    await expect(drain(box.streamPrompt('again'))).rejects.toThrow('scripted sandbox: box box-0 was already deleted')
  })

  it('streams async responses with a delay and tracks concurrency', async () => {
    const client = createScriptedSandboxClient({
      delayMs: 2,
      respond: async function* (prompt, { call }) {
        yield { type: 'text_delta', data: { text: prompt } }
        yield { type: 'result', data: { call } }
      },
    })
    const [a, b] = await Promise.all([client.create(), client.create()])
    const [ea, eb] = await Promise.all([drain(a.streamPrompt('a')), drain(b.streamPrompt('b'))])
    expect(ea.map((e) => e.type)).toEqual(['text_delta', 'result'])
    expect(eb[1].data).toEqual({ call: 1 })
    expect(client.maxInFlight).toBe(2)
    expect(client.inFlight).toBe(0)
  })

  it('honours the abort signal while streaming and creating', async () => {
    const client = createScriptedSandboxClient({ delayMs: 10_000, createDelayMs: 0 })
    const box = await client.create()
    const controller = new AbortController()
    const pending = drain(box.streamPrompt('x', { signal: controller.signal }))
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', message: 'aborted' })
    const slow = createScriptedSandboxClient({ createDelayMs: 10_000 })
    const creating = slow.create({}, { signal: AbortSignal.timeout(1) })
    await expect(creating).rejects.toMatchObject({ name: 'AbortError' })
    expect(slow.created).toEqual([])
  })

  it('fails create and delete on request', async () => {
    const client = createScriptedSandboxClient({
      failCreate: (_o, attempt) => (attempt === 1 ? new Error('quota') : attempt === 2),
      failDelete: (id) => id === 'scripted-0',
    })
    const box = await client.create()
    await expect(client.create()).rejects.toThrow('quota')
    await expect(client.create()).rejects.toThrow('scripted sandbox: create #2 failed')
    await expect(box.delete?.()).rejects.toThrow('scripted sandbox: delete of scripted-0 failed')
    expect(client.deleteCalls).toEqual(['scripted-0'])
    expect(client.deleted).toEqual([])
    await expect(createScriptedSandboxClient({ failCreate: true }).create()).rejects.toThrow('create #0 failed')
  })

  it('keeps a per-box file map behind read/write/exec', async () => {
    const client = createScriptedSandboxClient({
      files: { 'README.md': '# hi' },
      exec: (command, { files }) => ({ exitCode: files.has(command) ? 0 : 1, stdout: files.get(command) ?? '', stderr: '' }),
    })
    const [a, b] = [await client.create(), await client.create()]
    await a.write?.('out.txt', 'A')
    expect(await a.read?.('out.txt')).toBe('A')
    expect(await b.read?.('README.md')).toBe('# hi')
    await expect(b.read?.('out.txt')).rejects.toMatchObject({ code: 'not_found', message: 'scripted sandbox scripted-1: no file at out.txt' })
    expect(await a.exec?.('out.txt')).toEqual({ exitCode: 0, stdout: 'A', stderr: '' })
    expect(await b.exec?.('out.txt')).toEqual({ exitCode: 1, stdout: '', stderr: '' })
    expect(createScriptedSandboxClient().fleets).toBeUndefined()
    expect((await createScriptedSandboxClient().create()).exec).toBeUndefined()
  })

  it('serves long-lived fleet machines', async () => {
    const client = createScriptedSandboxClient({ fleets: { f: ['m1', 'm2'] } })
    const fleet = await client.fleets!.get('f')
    expect(fleet.ids).toEqual(['m1', 'm2'])
    const m1 = await fleet.sandbox('m1')
    expect(await fleet.sandbox('m1')).toBe(m1)
    expect(client.boxes[0]).toMatchObject({ id: 'f-m1', fleet: { fleetId: 'f', machineId: 'm1' } })
    expect(client.created).toEqual([])
    await expect(fleet.sandbox('m9')).rejects.toMatchObject({ code: 'not_found', message: 'scripted sandbox: fleet f has no machine m9' })
    await expect(client.fleets!.get('g')).rejects.toMatchObject({ code: 'not_found' })
  })
})
