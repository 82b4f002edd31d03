/**
 * Forwarding headers: the wire contract that lets one agent call another
 * across gateways while keeping the user's identity, a hop counter and the
 * run/turn correlation ids. Gateways refuse at the depth limit; this module
 * owns the names and the propagation rules. Protocol: docs/agent-bus-protocol.md.
 */
import { ValidationError, describeValue } from '@tangle-network/agent-runtime-core'

/** Header names, lowercase so every runtime's `Headers` map agrees. @stable */
export const FORWARD_HEADERS = {
  /** The original user's credential; downstream gateways bill it. */
  authorization: 'x-tangle-forwarded-authorization',
  /** Hop counter, incremented on every outbound call; refused at the depth limit. */
  depth: 'x-tangle-forwarded-depth',
  /** The conversation run this call belongs to. */
  runId: 'x-tangle-runid',
  /** This call's turn; identical across retries. */
  turnId: 'x-tangle-turnid',
  /** The enclosing turn when this call happens inside another turn. */
  parentTurnId: 'x-tangle-parent-turnid',
  /** The sending participant's name. */
  speaker: 'x-tangle-speaker',
} as const

/** One of the {@link FORWARD_HEADERS} names. @stable */
export type ForwardHeaderName = (typeof FORWARD_HEADERS)[keyof typeof FORWARD_HEADERS]

/** Header bag handed to backends as `AgentBackendContext.propagatedHeaders`. @stable */
export type PropagatedHeaders = Readonly<Record<string, string>>

/** Most gateway hops allowed before a call is refused. @stable */
export const DEFAULT_MAX_DEPTH = 4

const FORWARD_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(FORWARD_HEADERS))

/**
 * True when `name` (any case) is one of the {@link FORWARD_HEADERS}.
 * @stable
 * @example
 * isForwardHeader('X-Tangle-Forwarded-Depth') // true
 */
export function isForwardHeader(name: string): boolean {
  return FORWARD_HEADER_NAMES.has(name.toLowerCase())
}

/**
 * Reads one header case-insensitively; the first value of an array wins.
 * @stable
 * @example
 * readHeader(req.headers, 'x-tangle-runid')
 */
export function readHeader(headers: Readonly<Record<string, string | string[] | undefined>> | undefined, name: string): string | undefined {
  if (!headers) return undefined
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue
    return Array.isArray(value) ? value[0] : value
  }
  return undefined
}

/**
 * The inbound hop count. Missing means 0 (the caller is the origin). Any
 * value that is not a non-negative decimal integer throws: silently coercing
 * it would let a caller reset the counter and escape the limit.
 * @stable
 * @example
 * readDepth({ 'X-Tangle-Forwarded-Depth': '2' }) // 2
 */
export function readDepth(headers: Readonly<Record<string, string | string[] | undefined>>): number {
  const raw = readHeader(headers, FORWARD_HEADERS.depth)
  if (raw === undefined) return 0
  const trimmed = raw.trim()
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) {
    throw new ValidationError(
      `Invalid ${FORWARD_HEADERS.depth} header ${JSON.stringify(raw)}: expected a non-negative integer; fix the caller that set it.`,
    )
  }
  return Number(trimmed)
}

/**
 * True when the inbound depth has reached the limit and the call must be
 * refused (gateways answer HTTP 413).
 * @stable
 * @example
 * isDepthExceeded(4) // true with the default limit of 4
 */
export function isDepthExceeded(inboundDepth: number, max: number = DEFAULT_MAX_DEPTH): boolean {
  return inboundDepth >= max
}

/**
 * The protocol headers of one outbound participant call: depth incremented
 * from the inbound value, this hop's run/turn/speaker, the parent turn when
 * nested, and the forwarded user authorization verbatim when given. Id and
 * speaker values outside printable ASCII are percent-encoded, since HTTP
 * clients reject such header values.
 * @stable
 * @example
 * buildForwardHeaders({ inboundDepth: 0, runId: 'r1', turnId: 'r1.t0.alice', speaker: 'alice' })
 * // { 'x-tangle-forwarded-depth': '1', 'x-tangle-runid': 'r1', 'x-tangle-turnid': 'r1.t0.alice', 'x-tangle-speaker': 'alice' }
 */
export function buildForwardHeaders(input: {
  inboundDepth: number
  forwardedAuthorization?: string
  runId: string
  turnId: string
  parentTurnId?: string
  speaker: string
}): Record<string, string> {
  if (!Number.isSafeInteger(input.inboundDepth) || input.inboundDepth < 0) {
    throw new ValidationError(`buildForwardHeaders: inboundDepth must be a non-negative integer, got ${describeValue(input.inboundDepth)}.`)
  }
  const headers: Record<string, string> = {
    [FORWARD_HEADERS.depth]: String(input.inboundDepth + 1),
    [FORWARD_HEADERS.runId]: headerSafe(input.runId),
    [FORWARD_HEADERS.turnId]: headerSafe(input.turnId),
    [FORWARD_HEADERS.speaker]: headerSafe(input.speaker),
  }
  if (input.parentTurnId) headers[FORWARD_HEADERS.parentTurnId] = headerSafe(input.parentTurnId)
  if (input.forwardedAuthorization) headers[FORWARD_HEADERS.authorization] = input.forwardedAuthorization
  return headers
}

// Printable ASCII passes unchanged; anything else is percent-encoded so
// fetch/undici never throws on a non-Latin speaker name.
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value)
}
