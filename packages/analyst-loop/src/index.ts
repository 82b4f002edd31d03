/**
 * @tangle-network/agent-runtime-analyst-loop: traces → findings → surface
 * edits. Workers-safe; the file-writing surface adapters are in `./node`.
 */
export * from './analysts/failure-clusters.js'
export * from './analysts/model-analyst.js'
export type { LoadedRun, TraceAnalystInput } from './analysts/trace-input.js'
export * from './audit-runner.js'
export * from './diff.js'
export * from './findings-store.js'
export * from './gates.js'
export * from './registry.js'
export * from './run-analyst-loop.js'
export * from './surface-adapter.js'
export * from './types.js'
