import type { KnowledgeRequirement } from './knowledge.js'

/** Limits on one agent task. @stable */
export interface AgentTaskBudget {
  maxSteps?: number
  maxWallMs?: number
  maxCostUsd?: number
}

/**
 * What an agent is asked to do. `intent` shows up in telemetry, so it must be
 * a short label, never user text; user text goes in `inputs` or messages.
 * @stable
 */
export interface AgentTaskSpec {
  id: string
  intent: string
  domain?: string
  inputs?: Record<string, unknown>
  requiredKnowledge?: KnowledgeRequirement[]
  budget?: AgentTaskBudget
  metadata?: Record<string, unknown>
}

/** Terminal status of a task. @stable */
export type AgentTaskStatus = 'completed' | 'blocked' | 'failed' | 'aborted'
