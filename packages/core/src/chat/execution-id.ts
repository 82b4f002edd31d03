import { ValidationError } from '../errors.js'
import type { ChatTurnIdentity } from './types.js'

// ':' separates the parts; escaping it (and '%') keeps the id injective for
// ids that contain colons while leaving ordinary ids exactly `p:s:n`.
function escapePart(part: string): string {
  return part.replace(/%/g, '%25').replace(/:/g, '%3A')
}

function requireId(fn: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(`${fn}: ${name} must be a non-empty string, got ${JSON.stringify(value)}.`)
  }
  return value
}

function requireTurnIndex(fn: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(`${fn}: turnIndex must be a non-negative integer, got ${JSON.stringify(value)}.`)
  }
  return value
}

/**
 * The stable id of one chat turn, `${projectId}:${sessionId}:${turnIndex}`
 * (colons and percent signs inside the parts are percent-escaped). Clients
 * resend it as `X-Execution-ID` when they retry a turn.
 * @stable
 * @example
 * deriveExecutionId({ projectId: 'legal', sessionId: 'thread-7', turnIndex: 3 }) // 'legal:thread-7:3'
 */
export function deriveExecutionId(input: { projectId: string; sessionId: string; turnIndex: number }): string {
  const fn = 'deriveExecutionId'
  const projectId = requireId(fn, 'projectId', input?.projectId)
  const sessionId = requireId(fn, 'sessionId', input?.sessionId)
  const turnIndex = requireTurnIndex(fn, input?.turnIndex)
  return `${escapePart(projectId)}:${escapePart(sessionId)}:${turnIndex}`
}

/**
 * The execution id {@link handleChatTurn} uses for an identity: `identity.executionId`
 * when given, else `deriveExecutionId({projectId: projectId ?? tenantId, sessionId, turnIndex})`.
 * @stable
 * @example
 * chatTurnExecutionId({ tenantId: 'acme', sessionId: 's1', userId: 'u1', turnIndex: 0 }) // 'acme:s1:0'
 */
export function chatTurnExecutionId(identity: ChatTurnIdentity): string {
  const fn = 'chatTurnExecutionId'
  if (identity?.executionId !== undefined) return requireId(fn, 'identity.executionId', identity.executionId)
  return deriveExecutionId({
    projectId: identity?.projectId ?? identity?.tenantId,
    sessionId: identity?.sessionId,
    turnIndex: identity?.turnIndex,
  })
}

/** Throws a {@link ValidationError} naming the first bad identity field. */
export function assertChatTurnIdentity(identity: ChatTurnIdentity): void {
  const fn = 'handleChatTurn'
  if (identity === null || typeof identity !== 'object') {
    throw new ValidationError(`${fn}: identity must be an object {tenantId, sessionId, userId, turnIndex}, got ${JSON.stringify(identity)}.`)
  }
  requireId(fn, 'identity.tenantId', identity.tenantId)
  requireId(fn, 'identity.sessionId', identity.sessionId)
  requireId(fn, 'identity.userId', identity.userId)
  requireTurnIndex(fn, identity.turnIndex)
}
