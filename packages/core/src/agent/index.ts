export * from './define-agent.js'
export * from './outcomes.js'
export * from './run-agent.js'
export * from './sandbox-act.js'
export * from './sql-trace-store.js'
export * from './surfaces.js'
export * from './trace-recorder.js'
export {
  type AgentRunRecord,
  type AgentRunStatus,
  type BeginAgentRun,
  createMemoryTraceStore,
  type EndAgentRun,
  type NewTraceEvent,
  type OutcomeRecord,
  type TraceEventRecord,
  type TraceStore,
} from './trace-store.js'
export * from './types.js'
export * from './wire.js'
