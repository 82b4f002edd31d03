/**
 * Public types of multi-agent conversations: two or more participants take
 * turns through their own `AgentExecutionBackend`s under a policy (turn order,
 * halting, credit ceiling, call policy).
 */

import type { AgentExecutionBackend, Clock } from '@tangle-network/agent-runtime-core'
import type { BackendCallPolicy } from './call-policy.js'
import type { ConversationJournal } from './journal/types.js'
import type { PropagatedHeaders } from './forward-headers.js'

/** Whether a participant's outbound calls forward the original user's authorization. @stable */
export type AuthSource = 'forward-user' | 'agent-owned' | ((state: ConversationDriveState) => 'forward-user' | 'agent-owned')

/** One party of a conversation. @stable */
export interface ConversationParticipant {
  /** Speaker label in the transcript; unique within a conversation. */
  name: string
  /** Runs this participant's turns. */
  backend: AgentExecutionBackend
  /** Human label for traces and dashboards; `name` stays the addressing key. */
  label?: string
  /** Overrides the conversation's `defaultCallPolicy` for this participant. */
  callPolicy?: BackendCallPolicy
  /**
   * `'forward-user'` (default) passes the caller's forwarded authorization
   * downstream so the user is billed; `'agent-owned'` withholds it so the
   * backend's own credentials pay; a function decides per turn.
   */
  authSource?: AuthSource
}

/** Speaker selection: two-party alternation, round-robin, or a function returning a participant index. @stable */
export type TurnOrder = 'alternate' | 'round-robin' | ((state: ConversationDriveState) => number)

/** What the runner knows before a turn: the transcript so far, the next index and the credits spent. @stable */
export interface ConversationDriveState {
  transcript: readonly ConversationTurn[]
  turnIndex: number
  spentCreditsCents: number
}

/** What a halt predicate sees after a turn. @stable */
export interface HaltContext extends ConversationDriveState {
  lastTurn: ConversationTurn
}

/** A halt predicate's explicit answer carrying a reason. @stable */
export interface HaltSignal {
  halted: true
  reason: string
}

/** Called after every turn; truthy stops the run with `{kind: 'predicate'}`. @stable */
export type HaltPredicate = (ctx: HaltContext) => boolean | HaltSignal | Promise<boolean | HaltSignal>

/** Why a conversation stopped. @stable */
export type HaltReason =
  | { kind: 'max_turns'; turns: number }
  | { kind: 'max_credits'; spentCents: number; capCents: number }
  | { kind: 'predicate'; reason: string }
  | { kind: 'abort' }
  | { kind: 'participant_error'; participant: string; message: string }

/** How a conversation runs and when it stops. @stable */
export interface ConversationPolicy {
  /** Hard cap on speaker turns; each committed turn counts once, retries do not. */
  maxTurns: number
  /** Cap on summed `llm_call.costUsd` across participants, in cents; checked between turns. */
  maxCreditsCents?: number
  /** Defaults to `'alternate'` for two participants, `'round-robin'` otherwise. */
  turnOrder?: TurnOrder
  /** Content-based halt, called after every committed turn. */
  haltOn?: HaltPredicate
  /** Deadline, retries and circuit breaker applied to every participant call unless overridden. */
  defaultCallPolicy?: BackendCallPolicy
}

/** One committed turn of the transcript. @stable */
export interface ConversationTurn {
  index: number
  speaker: string
  /** `${runId}.t${index}.${speakerSlug}`; the same for every attempt of the turn. */
  turnId: string
  text: string
  /** Summed usage of this turn's `llm_call` events; absent when the backend reported none. */
  usage?: { tokensIn?: number; tokensOut?: number; costUsd?: number; latencyMs?: number; model?: string }
  /** Attempts that ran before the turn committed (1 unless the call policy retried). */
  attempts: number
  startedAt: string
  endedAt: string
}

/** A validated conversation, made by `defineConversation`. @stable */
export interface Conversation {
  participants: readonly ConversationParticipant[]
  policy: ConversationPolicy
}

/** Options of `runConversation` / `runConversationStream`. @stable */
export interface RunConversationOptions {
  /** First message; it goes to the first speaker. */
  seed: string
  /** Run id; defaults to `conv_<uuid>`. Reusing it against the same journal resumes the run. */
  runId?: string
  /** Cancels the run; the current attempt's backend stream is aborted and the run halts with `{kind: 'abort'}`. */
  signal?: AbortSignal
  /** Receives every stream event (awaited, in order). */
  onEvent?: (event: ConversationStreamEvent) => void | Promise<void>
  /** Durable transcript; every turn is appended before its `turn_end` is emitted. */
  journal?: ConversationJournal
  /** Extra headers for every participant call; protocol headers in it are replaced by the runner's. */
  propagatedHeaders?: PropagatedHeaders
  /** Forwarding depth of the request that started this run; default 0. */
  inboundDepth?: number
  /** The enclosing turn's id when this conversation runs inside another turn. */
  parentTurnId?: string
  /** Epoch-ms clock for timestamps, durations and circuit-breaker cooldowns; default the wall clock. */
  clock?: Clock
}

/** The outcome of a conversation run. @stable */
export interface ConversationResult {
  runId: string
  transcript: ConversationTurn[]
  turns: number
  spentCreditsCents: number
  halted: HaltReason
  durationMs: number
  startedAt: string
  endedAt: string
}

/**
 * Events of `runConversationStream`. `turn_retry.attempt` is the attempt that
 * failed; the next `turn_start` carries `attempt + 1`.
 * @stable
 */
export type ConversationStreamEvent =
  | { type: 'conversation_start'; runId: string; participants: readonly string[]; seed: string; timestamp: string }
  | { type: 'conversation_resumed'; runId: string; participants: readonly string[]; transcript: readonly ConversationTurn[]; timestamp: string }
  | { type: 'turn_start'; runId: string; index: number; speaker: string; turnId: string; attempt: number; timestamp: string }
  | { type: 'turn_text_delta'; runId: string; index: number; speaker: string; turnId: string; text: string; timestamp?: string }
  | { type: 'turn_retry'; runId: string; index: number; speaker: string; turnId: string; attempt: number; reason: string; timestamp: string }
  | { type: 'turn_end'; runId: string; turn: ConversationTurn; timestamp: string }
  | { type: 'conversation_end'; runId: string; result: ConversationResult; timestamp: string }
