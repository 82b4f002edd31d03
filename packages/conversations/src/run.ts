/**
 * The conversation loop. One driving generator serves both entry points:
 * pick the speaker, run the turn under its call policy, journal it, then
 * emit `turn_end`, then check the halt conditions.
 */
import {
  type AgentBackendInput,
  type AgentBackendMessage,
  type Clock,
  ValidationError,
  describeValue,
  errorMessage,
  isoNow,
  randomUuid,
  systemClock,
} from '@tangle-network/agent-runtime-core'
import { CircuitBreakerState } from './call-policy.js'
import { FORWARD_HEADERS, buildForwardHeaders, isForwardHeader, readHeader } from './forward-headers.js'
import type { ConversationJournal } from './journal/types.js'
import { turnId as makeTurnId } from './turn-id.js'
import { runTurn, turnCredits } from './turn.js'
import type {
  Conversation,
  ConversationDriveState,
  ConversationParticipant,
  ConversationResult,
  ConversationStreamEvent,
  ConversationTurn,
  HaltReason,
  RunConversationOptions,
} from './types.js'

/**
 * Runs a conversation to its halt and returns the result. Resumes when
 * `runId` names a run already in `journal`.
 * @stable
 * @example
 * const result = await runConversation(conv, { seed: 'Plan a trip to Lisbon.', runId: 'trip_1', journal })
 * console.log(result.halted, result.transcript.map((t) => `${t.speaker}: ${t.text}`))
 */
export async function runConversation(conversation: Conversation, options: RunConversationOptions): Promise<ConversationResult> {
  let result: ConversationResult | undefined
  for await (const event of runConversationStream(conversation, options)) {
    if (event.type === 'conversation_end') result = event.result
  }
  return result!
}

/**
 * Runs a conversation as a stream of events (`conversation_start` or
 * `conversation_resumed`, then per turn `turn_start`, `turn_text_delta`,
 * `turn_retry`, `turn_end`, and finally `conversation_end`).
 * @stable
 * @example
 * for await (const event of runConversationStream(conv, { seed: 'hi' })) {
 *   if (event.type === 'turn_text_delta') process.stdout.write(event.text)
 * }
 */
export async function* runConversationStream(conversation: Conversation, options: RunConversationOptions): AsyncGenerator<ConversationStreamEvent, void> {
  assertRunnable(conversation, options)
  const clock: Clock = options.clock ?? systemClock
  const { journal, signal } = options
  const runId = options.runId ?? `conv_${randomUuid()}`
  const participants = conversation.participants
  const names = participants.map((p) => p.name)
  const emit = async (event: ConversationStreamEvent): Promise<ConversationStreamEvent> => {
    await options.onEvent?.(event)
    return event
  }

  let prior = await journal?.loadRun(runId)
  if (prior?.halted) {
    // A finished run is replayed, never run again.
    const transcript = prior.turns
    yield await emit({ type: 'conversation_resumed', runId, participants: names, transcript, timestamp: isoNow(clock) })
    const endedAt = prior.endedAt ?? prior.startedAt
    const result = buildResult(runId, transcript, prior.halted, prior.startedAt, endedAt)
    yield await emit({ type: 'conversation_end', runId, result, timestamp: isoNow(clock) })
    return
  }

  const startedAt = prior?.startedAt ?? isoNow(clock)
  const startedMs = prior ? Date.parse(prior.startedAt) : clock()
  if (!prior) await journal?.beginRun(runId, startedAt)
  let halted: HaltReason | undefined
  let claimed = false
  try {
    await claim(journal, runId)
    claimed = journal?.claimRun !== undefined
    // Another worker may have committed turns between our load and our claim
    // (its lease ran out, or it released the run): read the transcript again now
    // that we own the run, or we would redo a committed turn.
    if (claimed) prior = (await journal!.loadRun(runId)) ?? prior
    const transcript: ConversationTurn[] = prior ? [...prior.turns] : []
    let spent = transcript.reduce((sum, t) => sum + turnCredits(t), 0)
    if (transcript.length > 0) {
      yield await emit({ type: 'conversation_resumed', runId, participants: names, transcript: [...transcript], timestamp: isoNow(clock) })
    } else {
      yield await emit({ type: 'conversation_start', runId, participants: names, seed: options.seed, timestamp: isoNow(clock) })
    }
    const breakers = new Map(participants.map((p) => [p.name, new CircuitBreakerState(callPolicyOf(conversation, p).circuitBreaker)]))
    const { maxTurns, maxCreditsCents, haltOn } = conversation.policy
    let renewLease = false

    while (transcript.length < maxTurns) {
      const index = transcript.length
      if (signal?.aborted) {
        halted = { kind: 'abort' }
        break
      }
      if (maxCreditsCents !== undefined && spent >= maxCreditsCents) {
        halted = { kind: 'max_credits', spentCents: spent, capCents: maxCreditsCents }
        break
      }
      const state: ConversationDriveState = { transcript: [...transcript], turnIndex: index, spentCreditsCents: spent }
      const participant = participants[pickSpeaker(conversation, state)]!
      // Renews the lease each turn, so a worker that lost it stops before calling a backend.
      if (renewLease) await claim(journal, runId)
      renewLease = true
      const id = makeTurnId(runId, index, participant.name)
      const turnRun = runTurn({
        runId,
        index,
        turnId: id,
        participant,
        policy: callPolicyOf(conversation, participant),
        breaker: breakers.get(participant.name)!,
        input: buildInput(runId, index, id, participant, participants.length, options.seed, transcript),
        context: {
          task: { id, intent: 'conversation.turn' },
          session: { id, backend: participant.backend.kind, status: 'active', createdAt: isoNow(clock), updatedAt: isoNow(clock) },
          runId,
          turnId: id,
          parentTurnId: options.parentTurnId,
          propagatedHeaders: outboundHeaders(options, participant, state, runId, id),
        },
        signal,
        clock,
      })
      let step = await turnRun.next()
      while (!step.done) {
        yield await emit(step.value)
        step = await turnRun.next()
      }
      const outcome = step.value
      if (outcome.kind === 'aborted') {
        halted = { kind: 'abort' }
        break
      }
      if (outcome.kind === 'failed') {
        halted = { kind: 'participant_error', participant: participant.name, message: errorMessage(outcome.error) }
        break
      }
      const turn = outcome.turn
      // Durable before visible: once turn_end is out, the turn survives a crash.
      await journal?.appendTurn(runId, turn)
      transcript.push(turn)
      spent += turnCredits(turn)
      yield await emit({ type: 'turn_end', runId, turn, timestamp: isoNow(clock) })
      if (haltOn) {
        const verdict = await haltOn({ transcript: [...transcript], turnIndex: transcript.length, spentCreditsCents: spent, lastTurn: turn })
        if (verdict === true) halted = { kind: 'predicate', reason: 'predicate_true' }
        else if (verdict && typeof verdict === 'object' && verdict.halted === true) halted = { kind: 'predicate', reason: String(verdict.reason) }
        if (halted) break
      }
    }
    halted ??= { kind: 'max_turns', turns: transcript.length }
    const endedAt = isoNow(clock)
    await journal?.recordHalt(runId, halted, endedAt)
    claimed = false
    const result = buildResult(runId, transcript, halted, startedAt, endedAt, clock() - startedMs)
    yield await emit({ type: 'conversation_end', runId, result, timestamp: endedAt })
  } finally {
    // Stopped without a halt (consumer broke off, or an error): free the run for another worker.
    if (claimed) await journal?.releaseRun?.(runId).catch(() => undefined)
  }
}

async function claim(journal: ConversationJournal | undefined, runId: string): Promise<void> {
  if (journal?.claimRun) await journal.claimRun(runId)
}

function assertRunnable(conversation: Conversation, options: RunConversationOptions): void {
  if (!conversation || !Array.isArray(conversation.participants) || !conversation.policy) {
    throw new ValidationError('runConversation: expected a Conversation made by defineConversation({ participants, policy }).')
  }
  if (!options || typeof options.seed !== 'string') throw new ValidationError('runConversation: options.seed must be a string (the first message).')
  if (options.runId !== undefined && (typeof options.runId !== 'string' || options.runId === '')) {
    throw new ValidationError(`runConversation: options.runId must be a non-empty string, got ${JSON.stringify(options.runId)}.`)
  }
  const depth = options.inboundDepth
  if (depth !== undefined && (!Number.isSafeInteger(depth) || depth < 0)) {
    throw new ValidationError(`runConversation: options.inboundDepth must be a non-negative integer, got ${describeValue(depth)}.`)
  }
}

function callPolicyOf(conversation: Conversation, participant: ConversationParticipant) {
  return participant.callPolicy ?? conversation.policy.defaultCallPolicy ?? {}
}

function pickSpeaker(conversation: Conversation, state: ConversationDriveState): number {
  const n = conversation.participants.length
  const order = conversation.policy.turnOrder ?? (n === 2 ? 'alternate' : 'round-robin')
  if (typeof order !== 'function') return state.turnIndex % n
  const picked = order(state)
  if (!Number.isInteger(picked) || picked < 0 || picked >= n) {
    throw new ValidationError(`turnOrder returned ${String(picked)} for turn ${state.turnIndex}; it must return a participant index from 0 to ${n - 1}.`)
  }
  return picked
}

// Caller headers pass through, except protocol headers, which this hop sets itself.
function outboundHeaders(
  options: RunConversationOptions,
  participant: ConversationParticipant,
  state: ConversationDriveState,
  runId: string,
  id: string,
): Record<string, string> {
  const extra: Record<string, string> = {}
  for (const [key, value] of Object.entries(options.propagatedHeaders ?? {})) {
    if (!isForwardHeader(key) && typeof value === 'string') extra[key] = value
  }
  const source = typeof participant.authSource === 'function' ? participant.authSource(state) : (participant.authSource ?? 'forward-user')
  const forwardedAuthorization = source === 'forward-user' ? readHeader(options.propagatedHeaders, FORWARD_HEADERS.authorization) : undefined
  return {
    ...extra,
    ...buildForwardHeaders({
      inboundDepth: options.inboundDepth ?? 0,
      forwardedAuthorization,
      runId,
      turnId: id,
      parentTurnId: options.parentTurnId,
      speaker: participant.name,
    }),
  }
}

function buildInput(
  runId: string,
  index: number,
  id: string,
  speaker: ConversationParticipant,
  participantCount: number,
  seed: string,
  transcript: readonly ConversationTurn[],
): AgentBackendInput {
  // The speaker sees its own turns as assistant messages and everyone else's
  // as user messages; with more than two parties, others are attributed.
  const messages: AgentBackendMessage[] = [{ role: 'user', content: seed }]
  for (const t of transcript) {
    if (t.speaker === speaker.name) messages.push({ role: 'assistant', content: t.text })
    else messages.push({ role: 'user', content: participantCount > 2 ? `[${t.speaker}] ${t.text}` : t.text })
  }
  const last = transcript[transcript.length - 1]
  return {
    task: { id, intent: 'conversation.turn', metadata: { runId, turnIndex: index, speaker: speaker.name } },
    message: last ? last.text : seed,
    messages,
    inputs: { conversation: { runId, turnIndex: index, speaker: speaker.name } },
  }
}

function buildResult(runId: string, transcript: ConversationTurn[], halted: HaltReason, startedAt: string, endedAt: string, durationMs?: number): ConversationResult {
  return {
    runId,
    transcript: [...transcript],
    turns: transcript.length,
    spentCreditsCents: transcript.reduce((sum, t) => sum + turnCredits(t), 0),
    halted,
    durationMs: durationMs ?? Math.max(0, Date.parse(endedAt) - Date.parse(startedAt)),
    startedAt,
    endedAt,
  }
}
