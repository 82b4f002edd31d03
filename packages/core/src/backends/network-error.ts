import { errorMessage } from '../errors.js'

/** What the common socket error codes mean, in words. */
const CODE_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EPIPE: 'connection closed while sending',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'socket closed',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
}

/** The innermost error with a `code`, following `.cause` and `AggregateError.errors` (undici wraps the socket error in "fetch failed"). */
function rootCause(err: unknown): { code?: string; message: string } | undefined {
  const seen = new Set<unknown>()
  let current: unknown = err
  let found: { code?: string; message: string } | undefined
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current)
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') found = { code, message: errorMessage(current) }
    const errors = (current as { errors?: unknown }).errors
    const next = (current as { cause?: unknown }).cause ?? (Array.isArray(errors) ? errors[0] : undefined)
    current = next
  }
  return found
}

/**
 * Says why a request to `url` got no response, naming the socket-level cause
 * and the host: "fetch failed: connection refused (ECONNREFUSED) at 127.0.0.1:9"
 * rather than a bare "fetch failed".
 * @stable
 * @example
 * catch (err) { throw new BackendTransportError('openai', `POST ${url}: ${describeNetworkError(err, url)}`, { status: 0, cause: err }) }
 */
export function describeNetworkError(err: unknown, url: string): string {
  const message = errorMessage(err)
  let host = url
  try {
    host = new URL(url).host
  } catch {
    // Not a URL: name it as given.
  }
  const cause = rootCause(err)
  if (!cause?.code) {
    const inner = err instanceof Error && err.cause !== undefined ? errorMessage(err.cause) : undefined
    return `${message}${inner && inner !== message ? `: ${inner}` : ''} (host ${host})`
  }
  const words = CODE_WORDS[cause.code]
  const what = words ? `${words} (${cause.code})` : `${cause.message} (${cause.code})`
  return `${message === cause.message ? '' : `${message}: `}${what} at ${host}`
}
