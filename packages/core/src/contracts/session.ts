import type { RuntimeStreamEvent } from './events.js'

/** Lifecycle of a backend session. @stable */
export type RuntimeSessionStatus = 'active' | 'completed' | 'failed' | 'aborted'

/** A backend conversation that can be resumed across task runs. @stable */
export interface RuntimeSession {
  id: string
  /** The `kind` of the backend that owns the session. */
  backend: string
  status: RuntimeSessionStatus
  resumeToken?: string
  /** ISO timestamps. */
  createdAt: string
  updatedAt: string
  metadata?: Record<string, unknown>
}

/** Where sessions (and optionally their events) are kept. @stable */
export interface RuntimeSessionStore {
  get(id: string): Promise<RuntimeSession | undefined>
  put(session: RuntimeSession): Promise<void>
  appendEvent?(sessionId: string, event: RuntimeStreamEvent): Promise<void>
  listEvents?(sessionId: string): Promise<RuntimeStreamEvent[]>
}
