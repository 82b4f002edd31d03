import type {
  FleetHandle,
  SandboxBox,
  SandboxClient,
  SandboxCreateOptions,
  SandboxEvent,
  SandboxExecResult,
  SandboxPromptOptions,
} from '../contracts/sandbox.js'
import { createAbortError, NotFoundError } from '../errors.js'
import { abortableSleep } from '../util/sleep.js'

/** What a scripted response function is told about the prompt it answers. @experimental */
export interface ScriptedPromptContext {
  /** The box the prompt was sent to. */
  box: ScriptedSandboxRecord
  /** 0-based number of this prompt across the whole client. */
  call: number
  options?: SandboxPromptOptions
  signal?: AbortSignal
}

/** Produces the events of one prompt: an array, a promise of one, or an async stream. @experimental */
export type ScriptedRespond = (
  prompt: string,
  ctx: ScriptedPromptContext,
) => SandboxEvent[] | Promise<SandboxEvent[]> | AsyncIterable<SandboxEvent> | Iterable<SandboxEvent>

/** Handles `box.exec` in a scripted sandbox; `files` is the box's live file map. @experimental */
export type ScriptedExec = (
  command: string,
  ctx: { box: ScriptedSandboxRecord; files: Map<string, string> },
) => SandboxExecResult | Promise<SandboxExecResult>

/** Options of {@link createScriptedSandboxClient}. @experimental */
export interface ScriptedSandboxOptions {
  /** Events for each prompt. Default: one `result` event whose `finalText` is the prompt. */
  respond?: ScriptedRespond
  /** Wait before each event, in ms (abortable). Default 0: no timers at all. */
  delayMs?: number
  /** Wait inside `create`, in ms (abortable). Default 0. */
  createDelayMs?: number
  /** Make `create` throw: always, or when the function returns true (or an Error to throw). */
  failCreate?: boolean | ((options: SandboxCreateOptions | undefined, attempt: number) => boolean | Error)
  /** Make `box.delete()` throw: always, or for the boxes the function picks. */
  failDelete?: boolean | ((boxId: string) => boolean)
  /** Initial file map of every new box (copied per box). */
  files?: Record<string, string>
  /** Enables `box.exec` with this handler. */
  exec?: ScriptedExec
  /** Box id prefix. Default `scripted`. */
  idPrefix?: string
  /** Enables `client.fleets.get`: fleet id → machine ids. Machines are long-lived boxes. */
  fleets?: Record<string, readonly string[]>
}

/** Everything the scripted client remembers about one box. @experimental */
export interface ScriptedSandboxRecord {
  id: string
  createOptions?: SandboxCreateOptions
  /** Set for fleet machines. */
  fleet?: { fleetId: string; machineId: string }
  files: Map<string, string>
  prompts: { prompt: string; options?: SandboxPromptOptions }[]
  deleted: boolean
}

/** A deterministic in-memory {@link SandboxClient} that records what happened. @experimental */
export interface ScriptedSandboxClient extends SandboxClient {
  /** Every box, in creation order (fleet machines when first used). */
  readonly boxes: readonly ScriptedSandboxRecord[]
  /** Ids of boxes `create` returned. */
  readonly created: readonly string[]
  /** Ids whose `delete()` succeeded. */
  readonly deleted: readonly string[]
  /** Ids `delete()` was called on, failing or not. */
  readonly deleteCalls: readonly string[]
  /** Every prompt, in order. */
  readonly prompts: readonly { boxId: string; prompt: string; options?: SandboxPromptOptions }[]
  /** Prompt streams running right now, and the most ever at once. */
  readonly inFlight: number
  readonly maxInFlight: number
  /** Created boxes not deleted yet. */
  liveBoxIds(): string[]
}


/**
 * A scripted sandbox client for tests and examples: `respond` decides the
 * events of every prompt; boxes, prompts, deletes and concurrency are recorded.
 * Streams honour their abort signal. Boxes keep an in-memory file map behind
 * `read`/`write`, and `exec` when an `exec` handler is given.
 * @experimental
 * @example
 * const sandbox = createScriptedSandboxClient({
 *   respond: (prompt) => [{ type: 'result', data: { finalText: prompt.toUpperCase(), usage: { inputTokens: 3, outputTokens: 5 } } }],
 * })
 * const box = await sandbox.create()
 * for await (const event of box.streamPrompt('hi')) console.log(event)
 */
export function createScriptedSandboxClient(options: ScriptedSandboxOptions = {}): ScriptedSandboxClient {
  const respond: ScriptedRespond = options.respond ?? ((prompt) => [{ type: 'result', data: { finalText: prompt } }])
  const delayMs = options.delayMs ?? 0
  const prefix = options.idPrefix ?? 'scripted'
  const boxes: ScriptedSandboxRecord[] = []
  const created: string[] = []
  const deleted: string[] = []
  const deleteCalls: string[] = []
  const prompts: { boxId: string; prompt: string; options?: SandboxPromptOptions }[] = []
  const machines = new Map<string, SandboxBox>()
  let createAttempts = 0
  let inFlight = 0
  let maxInFlight = 0

  const makeBox = (record: ScriptedSandboxRecord, deletable: boolean): SandboxBox => {
    const alive = (): void => {
      if (record.deleted) throw new Error(`scripted sandbox: box ${record.id} was already deleted`)
    }
    async function* stream(message: string, promptOptions?: SandboxPromptOptions): AsyncGenerator<SandboxEvent> {
      alive()
      const signal = promptOptions?.signal
      const call = prompts.length
      record.prompts.push({ prompt: message, options: promptOptions })
      prompts.push({ boxId: record.id, prompt: message, options: promptOptions })
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      try {
        if (signal?.aborted) throw createAbortError('aborted', signal.reason)
        const source = await respond(message, { box: record, call, options: promptOptions, signal })
        for await (const event of source as AsyncIterable<SandboxEvent>) {
          if (delayMs > 0) await abortableSleep(delayMs, signal, 'aborted')
          if (signal?.aborted) throw createAbortError('aborted', signal.reason)
          yield event
        }
      } finally {
        inFlight--
      }
    }
    const box: SandboxBox = {
      id: record.id,
      streamPrompt: (message, promptOptions) => stream(message, promptOptions),
      async read(path) {
        alive()
        const content = record.files.get(path)
        if (content === undefined) throw new NotFoundError(`scripted sandbox ${record.id}: no file at ${path}`)
        return content
      },
      async write(path, content) {
        alive()
        record.files.set(path, content)
      },
    }
    if (options.exec) {
      const exec = options.exec
      box.exec = async (command) => {
        alive()
        return exec(command, { box: record, files: record.files })
      }
    }
    if (deletable) {
      box.delete = async () => {
        deleteCalls.push(record.id)
        const fail = typeof options.failDelete === 'function' ? options.failDelete(record.id) : options.failDelete === true
        if (fail) throw new Error(`scripted sandbox: delete of ${record.id} failed`)
        if (!record.deleted) {
          record.deleted = true
          deleted.push(record.id)
        }
      }
    }
    return box
  }

  const newRecord = (id: string, extra: Partial<ScriptedSandboxRecord>): ScriptedSandboxRecord => {
    const record: ScriptedSandboxRecord = { id, files: new Map(Object.entries(options.files ?? {})), prompts: [], deleted: false, ...extra }
    boxes.push(record)
    return record
  }

  const client: ScriptedSandboxClient = {
    async create(createOptions, request) {
      const attempt = createAttempts++
      const signal = request?.signal
      if (signal?.aborted) throw createAbortError('aborted', signal.reason)
      if (options.createDelayMs) await abortableSleep(options.createDelayMs, signal, 'aborted')
      const fail = typeof options.failCreate === 'function' ? options.failCreate(createOptions, attempt) : options.failCreate === true
      if (fail instanceof Error) throw fail
      if (fail) throw new Error(`scripted sandbox: create #${attempt} failed`)
      const record = newRecord(`${prefix}-${attempt}`, { createOptions })
      created.push(record.id)
      return makeBox(record, true)
    },
    get boxes() {
      return boxes
    },
    get created() {
      return created
    },
    get deleted() {
      return deleted
    },
    get deleteCalls() {
      return deleteCalls
    },
    get prompts() {
      return prompts
    },
    get inFlight() {
      return inFlight
    },
    get maxInFlight() {
      return maxInFlight
    },
    liveBoxIds: () => boxes.filter((b) => !b.fleet && !b.deleted).map((b) => b.id),
  }

  if (options.fleets) {
    const fleets = options.fleets
    client.fleets = {
      async get(fleetId): Promise<FleetHandle> {
        const ids = fleets[fleetId]
        if (!ids) throw new NotFoundError(`scripted sandbox: no fleet ${fleetId}; known fleets: ${Object.keys(fleets).join(', ') || 'none'}`)
        return {
          fleetId,
          ids: [...ids],
          async sandbox(machineId) {
            if (!ids.includes(machineId)) throw new NotFoundError(`scripted sandbox: fleet ${fleetId} has no machine ${machineId}`)
            const key = `${fleetId}/${machineId}`
            let box = machines.get(key)
            if (!box) {
              box = makeBox(newRecord(`${fleetId}-${machineId}`, { fleet: { fleetId, machineId } }), true)
              machines.set(key, box)
            }
            return box
          },
        }
      },
    }
  }
  return client
}
