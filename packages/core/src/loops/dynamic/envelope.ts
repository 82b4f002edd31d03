import type { SandboxEvent } from '../../contracts/sandbox.js'
import { AgentRuntimeError, PlannerError, errorMessage } from '../../errors.js'
import { readSandboxTextDelta } from '../../sandbox-events/reduce.js'
import { type TopologyMove, parseTopologyMove } from './topology-move.js'

/**
 * The JSON a planning agent writes: `{kind, tasks?, n?, rationale?, index?, parentIndex?}`.
 * `tasks` hold raw tasks that `decodeTask` turns into the loop's task type.
 * @experimental
 */
export interface TopologyEnvelope {
  kind: string
  tasks?: unknown[]
  n?: number
  rationale?: string
  index?: number
  parentIndex?: number
  [key: string]: unknown
}

/** Largest `n` an envelope may ask for; the driver's `maxFanout` trims further. @experimental */
export const MAX_ENVELOPE_FANOUT = 1024

const FENCE = /```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n([\s\S]*?)```/g

function asEnvelope(value: unknown): TopologyEnvelope | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) && typeof (value as { kind?: unknown }).kind === 'string'
    ? (value as TopologyEnvelope)
    : undefined
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Finds a topology envelope in free text: the last fenced ```json (or
 * unlabelled) block holding an object with a string `kind`, else the whole
 * text if it is such a JSON object. Undefined when there is none; never throws.
 * @experimental
 * @example
 * parseEnvelopeText('Plan:\n```json\n{"kind":"stop"}\n```') // → { kind: 'stop' }
 */
export function parseEnvelopeText(text: string): TopologyEnvelope | undefined {
  if (typeof text !== 'string' || text.length === 0) return undefined
  let found: TopologyEnvelope | undefined
  for (const match of text.matchAll(FENCE)) {
    const lang = match[1].toLowerCase()
    if (lang !== '' && lang !== 'json' && lang !== 'jsonc') continue
    const env = asEnvelope(tryJson(match[2].trim()))
    if (env) found = env
  }
  return found ?? asEnvelope(tryJson(text.trim()))
}

function fromCandidate(candidate: unknown): TopologyEnvelope | undefined {
  if (typeof candidate === 'string') return parseEnvelopeText(candidate)
  return asEnvelope(candidate)
}

const RESULT_TYPES = new Set(['result', 'final', 'planner.move'])

/**
 * Reads the envelope out of a planner sandbox's events: from the last
 * `result`, `final` or `planner.move` event (`data.result ?? data.output ?? data`),
 * else from a fenced json block in the streamed text, deltas or content.
 * Undefined when there is none; never throws.
 * @experimental
 * @example
 * extractTopologyEnvelope([{ type: 'result', data: { result: { kind: 'stop' } } }]) // → { kind: 'stop' }
 */
export function extractTopologyEnvelope(events: readonly SandboxEvent[]): TopologyEnvelope | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]
    if (!RESULT_TYPES.has(event.type)) continue
    const data = event.data ?? {}
    const env = fromCandidate(data.result ?? data.output ?? data)
    if (env) return env
    for (const key of ['finalText', 'text', 'content'] as const) {
      const inner = typeof data[key] === 'string' ? parseEnvelopeText(data[key] as string) : undefined
      if (inner) return inner
    }
  }
  let text = ''
  const pieces: string[] = []
  for (const event of events) {
    const delta = readSandboxTextDelta(event)
    if (delta) {
      text = delta.replace ? delta.text : text + delta.text
      continue
    }
    const content = event.data?.content ?? event.data?.text
    if (typeof content === 'string') pieces.push(content)
  }
  return parseEnvelopeText(text) ?? parseEnvelopeText(pieces.join('\n'))
}

/** How envelope tasks become loop tasks. @experimental */
export interface EnvelopeDecodeOptions<Task> {
  /** The loop's root task, replayed by a task-less refine and by `n` copies. */
  rootTask: Task
  /** Turns a raw envelope task into a loop task; throw to reject it. */
  decodeTask: (raw: unknown) => Task
}

function decodeAll<Task>(raws: unknown[], decode: (raw: unknown) => Task): Task[] {
  return raws.map((raw, i) => {
    try {
      return decode(raw)
    } catch (err) {
      const shown = JSON.stringify(raw) ?? String(raw)
      throw new PlannerError(`decodeTask rejected task ${i} (${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}): ${errorMessage(err)}`, {
        cause: err,
      })
    }
  })
}

/**
 * Maps a planner envelope to a {@link TopologyMove}: a refine without tasks
 * replays the root task, a fanout takes `tasks` or `n` copies of the root task.
 * Throws {@link PlannerError} when there is no envelope, the kind is unknown,
 * a fanout has neither tasks nor n, or `decodeTask` rejects a task.
 * @experimental
 * @example
 * envelopeToMove({ kind: 'fanout', n: 2 }, { rootTask: 'fix it', decodeTask: String }) // → fanout of two 'fix it'
 */
export function envelopeToMove<Task>(envelope: unknown, options: EnvelopeDecodeOptions<Task>): TopologyMove<Task> {
  const env = asEnvelope(envelope)
  if (!env) {
    throw new PlannerError(
      'Planner produced no parseable topology-move envelope; it must end with a ```json block like {"kind":"refine"|"fanout"|"stop"|"select", "tasks"?, "n"?, "rationale"?}.',
    )
  }
  const tasks = Array.isArray(env.tasks) ? env.tasks : undefined
  const base = { rationale: env.rationale, parentIndex: env.parentIndex }
  try {
    switch (env.kind) {
      case 'refine': {
        const task = tasks && tasks.length > 0 ? decodeAll([tasks[0]], options.decodeTask)[0] : options.rootTask
        return parseTopologyMove<Task>({ kind: 'refine', task, ...base })
      }
      case 'fanout': {
        if (tasks && tasks.length > 0) return parseTopologyMove<Task>({ kind: 'fanout', tasks: decodeAll(tasks, options.decodeTask), ...base })
        const n = env.n
        if (n === undefined) throw new PlannerError('Planner fanout envelope has neither tasks nor n; give "tasks": [...] or "n": <copies of the root task>.')
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_ENVELOPE_FANOUT) {
          throw new PlannerError(`Planner fanout envelope has n=${JSON.stringify(n)}; it must be an integer from 1 to ${MAX_ENVELOPE_FANOUT}.`)
        }
        return parseTopologyMove<Task>({ kind: 'fanout', tasks: Array.from({ length: n }, () => options.rootTask), ...base })
      }
      case 'stop':
        return parseTopologyMove<Task>({ kind: 'stop', rationale: env.rationale })
      case 'select':
        return parseTopologyMove<Task>({ kind: 'select', index: env.index, rationale: env.rationale })
      default:
        return parseTopologyMove<Task>(env)
    }
  } catch (err) {
    if (err instanceof AgentRuntimeError) throw err
    throw new PlannerError(`Planner envelope could not be mapped: ${errorMessage(err)}`, { cause: err })
  }
}
