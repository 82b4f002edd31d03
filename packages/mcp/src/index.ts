/** The delegation MCP server of agent-runtime: tools, store, OpenAI projection, embedded coder delegate. */
export type {
  CoderDelegate,
  CoderDelegateOutput,
  DelegateCodeArgs,
  DelegateCodeConfig,
  DelegateContext,
  DelegateResearchArgs,
  DelegationProgress,
  ResearchSource,
  ResearcherDelegate,
} from './contracts.js'
export {
  createMcpServer,
  type DelegationMcpServer,
  type McpServerOptions,
  type McpToolDescriptor,
  type ServeHandle,
  type ServeTarget,
} from './server.js'
export type { HttpHandler } from './http.js'
export { DEFAULT_DELEGATION_RETAIN_DAYS, MAX_STATUS_WAIT_MS, delegationKey, newDelegationId } from './delegations.js'
export {
  DELEGATION_TOOL_SPECS,
  type DelegationToolName,
  type DelegationToolSpec,
  delegateCodeInput,
  delegateFeedbackInput,
  delegateResearchInput,
  delegationCancelInput,
  delegationHistoryInput,
  delegationStatusInput,
  delegationView,
} from './tool-specs.js'
export { type OpenAIFunctionTool, mcpToolsForRuntimeMcp, mcpToolsForRuntimeMcpSubset } from './openai-tools.js'
export {
  type DelegationError,
  type DelegationLease,
  type DelegationListFilter,
  type DelegationReclaim,
  type DelegationProfile,
  type DelegationRecord,
  type DelegationRecovery,
  type DelegationRecoveryMode,
  type DelegationStatus,
  type DelegationStore,
  type FeedbackRecord,
  type FeedbackRef,
  type FeedbackStore,
  type NewDelegation,
  TERMINAL_DELEGATION_STATUSES,
} from './store/types.js'
export { InMemoryDelegationStore } from './store/memory.js'
export { SqlDelegationStore } from './store/sql.js'
export { DEFAULT_DELEGATION_DB, type OpenDelegationStoreOptions, type OpenedDelegationStore, openDelegationStore } from './store/open.js'
export { CLI_AGENT_ENV_ALLOWLISTS, type LocalCoderDelegateOptions, cliAgentHarnesses, createLocalCoderDelegate } from './embedded-coder.js'
// Coder delegate, KB gate and executors (issue 11, delegates half).
export * from './coder-delegate/index.js'
export * from './executors.js'
export {
  type FactCandidate,
  type FactJudge,
  type FactJudgement,
  type KbGate,
  type KbGateOptions,
  type KbGateVerdict,
  DEFAULT_MIN_PASSAGE_CHARS,
  KB_GATE_FLOOR_CHECKS,
  KB_GATE_SHAPE_CHECK,
  createKbGate,
  isKbGate,
  normalizeKbText,
} from '@tangle-network/agent-runtime-core'
// Scale-out dispatch hook (issue 15).
export type { DelegationDispatcher } from './dispatch.js'
export type { PostgresDispatchOptions } from './bin.js'
