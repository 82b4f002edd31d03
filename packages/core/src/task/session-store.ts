import type { RuntimeStreamEvent } from '../contracts/events.js'
import type { RuntimeSession, RuntimeSessionStore } from '../contracts/session.js'

/**
 * A {@link RuntimeSessionStore} in process memory. Stores copies, so later
 * mutation of a returned object does not change what is stored.
 * @stable
 * @example
 * const store = new InMemoryRuntimeSessionStore()
 * for await (const e of runAgentTaskStream({ task, backend, sessionStore: store })) {}
 */
export class InMemoryRuntimeSessionStore implements RuntimeSessionStore {
  private readonly sessions = new Map<string, RuntimeSession>()
  private readonly events = new Map<string, RuntimeStreamEvent[]>()

  async get(id: string): Promise<RuntimeSession | undefined> {
    const s = this.sessions.get(id)
    return s ? copy(s) : undefined
  }

  async put(session: RuntimeSession): Promise<void> {
    this.sessions.set(session.id, copy(session))
  }

  async appendEvent(sessionId: string, event: RuntimeStreamEvent): Promise<void> {
    const list = this.events.get(sessionId) ?? []
    list.push(copy(event))
    this.events.set(sessionId, list)
  }

  async listEvents(sessionId: string): Promise<RuntimeStreamEvent[]> {
    return (this.events.get(sessionId) ?? []).map(copy)
  }
}

/** Deep copy; values that cannot be cloned (functions, class instances with handles) are kept by reference. */
function copy<T>(value: T): T {
  try {
    return structuredClone(value)
  } catch {
    return { ...value }
  }
}
