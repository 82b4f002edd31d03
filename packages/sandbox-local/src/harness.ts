import type { SandboxCreateOptions, SandboxEvent, SandboxExecResult, SandboxPromptOptions } from '@tangle-network/agent-runtime-core'

/** The box a harness runs in, as harnesses see it. @experimental */
export interface LocalHarnessBox {
  readonly id: string
  /** Absolute path of the box directory (the agent's workspace). */
  readonly workdir: string
  exec(command: string, options?: { cwd?: string; timeoutMs?: number; env?: Record<string, string> }): Promise<SandboxExecResult>
  read(path: string): Promise<string>
  write(path: string, content: string): Promise<unknown>
}

/** What a harness is given for one prompt. @experimental */
export interface LocalHarnessRunInput {
  prompt: string
  /** Absolute path of the box directory; run the agent here. */
  workdir: string
  /** Aborted when the caller aborts, the prompt times out, or the box is deleted. */
  signal: AbortSignal
  box: LocalHarnessBox
  /** Explicit environment of the box (client `env` + create `env`); harnesses add it to what they pass on. */
  env: Record<string, string>
  /** The options given to `streamPrompt`. */
  options: SandboxPromptOptions
  /** The options the box was created with. */
  createOptions: SandboxCreateOptions
}

/**
 * What runs the agent inside a local box: prompt in, {@link SandboxEvent}s
 * out. Throwing ends the prompt with an `error` event.
 * @experimental
 */
export interface LocalHarness {
  readonly name: string
  run(input: LocalHarnessRunInput): AsyncIterable<SandboxEvent>
}

/**
 * A text event in the sandbox wire shape (`message.part.updated` with a delta).
 * @example
 * textEvent('done') // → { type: 'message.part.updated', data: { part: { type: 'text', text: 'done' }, delta: 'done' } }
 * @experimental
 */
export function textEvent(text: string): SandboxEvent {
  return { type: 'message.part.updated', data: { part: { type: 'text', text }, delta: text } }
}

/**
 * A token/cost usage event in the sandbox wire shape (read by `readSandboxUsage`).
 * @example
 * usageEvent({ inputTokens: 120, outputTokens: 30, costUsd: 0.002 })
 * @experimental
 */
export function usageEvent(usage: { inputTokens: number; outputTokens: number; costUsd?: number; model?: string }): SandboxEvent {
  return { type: 'usage', data: { ...usage } }
}

/** Helpers a scripted harness function gets to touch its workspace (all confined to the box). @experimental */
export interface ScriptedHarnessContext {
  prompt: string
  workdir: string
  signal: AbortSignal
  /** Read/write files relative to the box root. */
  files: { read(path: string): Promise<string>; write(path: string, content: string): Promise<void>; exists(path: string): Promise<boolean> }
  exec: LocalHarnessBox['exec']
  box: LocalHarnessBox
  options: SandboxPromptOptions
  createOptions: SandboxCreateOptions
}

/** One thing a scripted harness emits: an event, or a string (sent as a text event). @experimental */
export type ScriptedEmission = SandboxEvent | string

/** What a scripted harness function may return. @experimental */
export type ScriptedHarnessResult =
  | undefined
  | ScriptedEmission
  | readonly ScriptedEmission[]
  | Iterable<ScriptedEmission>
  | AsyncIterable<ScriptedEmission>

/** The deterministic agent of a scripted harness. @experimental */
export type ScriptedHarnessFn = (ctx: ScriptedHarnessContext) => ScriptedHarnessResult | Promise<ScriptedHarnessResult>

function isEvent(v: unknown): v is SandboxEvent {
  return typeof v === 'object' && v !== null && typeof (v as SandboxEvent).type === 'string' && typeof (v as SandboxEvent).data === 'object'
}

function toEvent(item: ScriptedEmission): SandboxEvent {
  return typeof item === 'string' ? textEvent(item) : item
}

async function* emissions(result: ScriptedHarnessResult): AsyncGenerator<SandboxEvent> {
  if (result === undefined || result === null) return
  if (typeof result === 'string' || isEvent(result)) {
    yield toEvent(result)
    return
  }
  if (typeof (result as AsyncIterable<ScriptedEmission>)[Symbol.asyncIterator] === 'function') {
    for await (const item of result as AsyncIterable<ScriptedEmission>) yield toEvent(item)
    return
  }
  for (const item of result as Iterable<ScriptedEmission>) yield toEvent(item)
}

/**
 * A deterministic harness: `fn` is a function of the prompt and the
 * workspace. It may edit files through `ctx.files` or `ctx.exec`, and returns
 * (or yields, as a generator) events and strings; strings become text
 * events. A final `result` event carrying the concatenated text is appended
 * unless `fn` emitted its own `result` or `done`.
 * @example
 * const fixer = scriptedHarness(async ({ prompt, files }) => {
 *   await files.write('src/sum.js', 'export const sum = (a, b) => a + b\n')
 *   return ['fixed the sign', usageEvent({ inputTokens: 120, outputTokens: 30 })]
 * })
 * @experimental
 */
export function scriptedHarness(fn: ScriptedHarnessFn, options: { name?: string } = {}): LocalHarness {
  return {
    name: options.name ?? 'scripted',
    async *run(input) {
      const { box } = input
      const ctx: ScriptedHarnessContext = {
        prompt: input.prompt,
        workdir: input.workdir,
        signal: input.signal,
        files: {
          read: (p) => box.read(p),
          write: async (p, content) => {
            await box.write(p, content)
          },
          exists: async (p) => {
            try {
              await box.read(p)
              return true
            } catch {
              return false
            }
          },
        },
        exec: (command, o) => box.exec(command, o),
        box,
        options: input.options,
        createOptions: input.createOptions,
      }
      let text = ''
      let terminal = false
      for await (const event of emissions(await fn(ctx))) {
        if (input.signal.aborted) return
        const delta = event.type === 'message.part.updated' ? event.data.delta : undefined
        if (typeof delta === 'string') text += delta
        if (event.type === 'result' || event.type === 'done') terminal = true
        yield event
        if (terminal) return
      }
      yield { type: 'result', data: { finalText: text } }
    },
  }
}
