import type { AgentBackendContext, AgentBackendInput, AgentExecutionBackend } from '../contracts/backend.js'
import type { BackendStreamEvent } from '../contracts/events.js'
import type { RuntimeSession } from '../contracts/session.js'
import { ValidationError, createAbortError } from '../errors.js'
import { abortableSleep } from '../util/sleep.js'

/** One scripted turn: a list of events, or a function of the call that returns them. @stable */
export type ScriptedTurn =
  | readonly BackendStreamEvent[]
  | ((input: AgentBackendInput, ctx: AgentBackendContext, turnIndex: number) => readonly BackendStreamEvent[] | Promise<readonly BackendStreamEvent[]>)

/** Options of {@link createScriptedBackend}. @stable */
export interface ScriptedBackendOptions {
  /** Backend `kind`; default `'scripted'`. */
  kind?: string
  /** Turn `i` of the backend plays `turns[i]`; a single function plays every turn. */
  turns: readonly ScriptedTurn[] | ScriptedTurn
  /** Wait this long before each event (honours the abort signal). */
  delayMs?: number
  /** Throw `error` after `afterEvents` events (default: after all of them) of turn `turn` (default: every turn). */
  fail?: { error: unknown; afterEvents?: number; turn?: number }
  /** Called by `stop`; throw from it to simulate a failing stop. */
  onStop?(session: RuntimeSession, reason: string): void | Promise<void>
}

/** The scripted backend plus what it recorded. @stable */
export interface ScriptedBackend extends AgentExecutionBackend {
  /** Inputs of every `stream` call, in order. */
  readonly calls: AgentBackendInput[]
  /** Every `stop` call, in order. */
  readonly stops: Array<{ sessionId: string; reason: string }>
}

/**
 * A deterministic {@link AgentExecutionBackend} for tests: plays scripted
 * events turn by turn, optionally slowly, optionally failing, and stops when
 * the signal aborts. Timestamps are left for the runner to fill.
 * @stable
 * @example
 * const backend = createScriptedBackend({ turns: [[{ type: 'text_delta', text: 'hello' }]] })
 * for await (const e of runAgentTaskStream({ task, backend })) console.log(e.type)
 */
export function createScriptedBackend(options: ScriptedBackendOptions): ScriptedBackend {
  const turns = typeof options.turns === 'function' ? undefined : (options.turns as readonly ScriptedTurn[])
  if (turns && turns.length === 0) {
    throw new ValidationError('createScriptedBackend: `turns` is empty; give at least one turn (a list of events or a function).')
  }
  if (options.delayMs !== undefined && !(options.delayMs >= 0)) {
    throw new ValidationError(`createScriptedBackend: delayMs must be >= 0; received ${String(options.delayMs)}.`)
  }
  const calls: AgentBackendInput[] = []
  const stops: Array<{ sessionId: string; reason: string }> = []
  const kind = options.kind ?? 'scripted'
  return {
    kind,
    calls,
    stops,
    async *stream(input, ctx) {
      const turnIndex = calls.length
      calls.push(input)
      const turn = turns ? turns[turnIndex] : (options.turns as ScriptedTurn)
      if (turn === undefined) {
        throw new ValidationError(`scripted backend '${kind}' has no turn ${turnIndex + 1}: only ${turns!.length} scripted; add more turns.`)
      }
      const events = typeof turn === 'function' ? await turn(input, ctx, turnIndex) : turn
      const fail = options.fail && (options.fail.turn === undefined || options.fail.turn === turnIndex) ? options.fail : undefined
      const failAt = fail ? Math.min(fail.afterEvents ?? events.length, events.length) : -1
      for (let i = 0; i <= events.length; i++) {
        if (i === failAt) throw fail!.error
        if (i === events.length) break
        if (options.delayMs) await abortableSleep(options.delayMs, ctx.signal, 'aborted')
        if (ctx.signal?.aborted) throw createAbortError(`scripted backend '${kind}' aborted`, ctx.signal.reason)
        yield events[i]!
      }
    },
    async stop(session, reason) {
      stops.push({ sessionId: session.id, reason })
      await options.onStop?.(session, reason)
    },
  }
}

