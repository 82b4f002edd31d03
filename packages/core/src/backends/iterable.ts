import type { AgentExecutionBackend } from '../contracts/backend.js'

/**
 * Declares a backend from an object literal, keeping its type checked.
 * Returns the same object.
 * @stable
 * @example
 * const echo = createIterableBackend({ kind: 'echo', async *stream(input) { yield { type: 'text_delta', text: input.message ?? '' } } })
 */
export function createIterableBackend<B extends AgentExecutionBackend>(backend: B): B {
  return backend
}
