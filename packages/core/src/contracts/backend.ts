import type { BackendStreamEvent } from './events.js'
import type { KnowledgeReadinessReport } from './knowledge.js'
import type { RuntimeSession } from './session.js'
import type { AgentTaskSpec } from './task.js'

/** One chat message handed to a backend. @stable */
export interface AgentBackendMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string
}

/** What a backend is asked to run. @stable */
export interface AgentBackendInput {
  task: AgentTaskSpec
  message?: string
  messages?: AgentBackendMessage[]
  inputs?: Record<string, unknown>
}

/** What the runner tells a backend about the call. @stable */
export interface AgentBackendContext {
  task: AgentTaskSpec
  knowledge?: KnowledgeReadinessReport
  session: RuntimeSession
  signal?: AbortSignal
  runId?: string
  turnId?: string
  parentTurnId?: string
  /** Headers a backend must forward on outbound calls (trace, depth, auth). */
  propagatedHeaders?: Record<string, string>
}

/**
 * Anything that turns a task into a stream of runtime events: an HTTP model,
 * a sandbox, a script. Backends surface tool calls; they never execute them.
 * @stable
 */
export interface AgentExecutionBackend {
  kind: string
  start?(input: AgentBackendInput, ctx: Omit<AgentBackendContext, 'session'> & { requestedSessionId?: string }): Promise<RuntimeSession>
  resume?(session: RuntimeSession, input: AgentBackendInput, ctx: AgentBackendContext): Promise<RuntimeSession>
  stream(input: AgentBackendInput, ctx: AgentBackendContext): AsyncIterable<BackendStreamEvent>
  stop?(session: RuntimeSession, reason: string): Promise<void>
}

/** An OpenAI function tool definition. @stable */
export interface OpenAIChatTool {
  type: 'function'
  function: { name: string; description?: string; parameters?: Record<string, unknown> }
}

/** OpenAI `tool_choice`. @stable */
export type OpenAIChatToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } }
