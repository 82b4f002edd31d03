/**
 * The type names the seed documents use, as aliases of ours where the names
 * differ, so code written against the seed's declarations compiles unchanged.
 */
import type { AgentRuntimeEvent } from './contracts/events.js'
import type { KnowledgeAcquisitionPlan } from './contracts/knowledge.js'
import type { LoopExecCtx } from './contracts/loop.js'
import type { OtelExporterOptions } from './otel/exporter.js'
import type { KnowledgeReadinessProvider } from './task/preflight.js'
import type { AgentTaskAdapter, AgentTaskHookContext, AgentTaskResult } from './task/run-task.js'

/** Seed name of {@link AgentTaskAdapter}: observe, validate, decide, act. @stable */
export type AgentAdapter<S = unknown, A = unknown, R = unknown> = AgentTaskAdapter<S, A, R>
/** Seed name of {@link AgentTaskResult}: what `runAgentTask` resolves with. @stable */
export type AgentTaskRunResult<S = unknown, A = unknown, R = unknown> = AgentTaskResult<S, A, R>
/** Seed name of {@link AgentTaskHookContext}: the context every adapter hook receives. @stable */
export type AgentTaskContext<S = unknown, A = unknown, R = unknown> = AgentTaskHookContext<S, A, R>
/** Seed name of {@link KnowledgeReadinessProvider}. @stable */
export type AgentKnowledgeProvider = KnowledgeReadinessProvider
/** A receiver of `runAgentTask` events (its `onEvent` option); errors it throws are ignored. @stable */
export type AgentRuntimeEventSink = (event: AgentRuntimeEvent) => unknown
/** Seed name of {@link OtelExporterOptions}. @stable */
export type OtelExportConfig = OtelExporterOptions
/** Seed name of {@link KnowledgeAcquisitionPlan}. @stable */
export type DataAcquisitionPlan = KnowledgeAcquisitionPlan
/** Seed name of {@link LoopExecCtx}: where and how a loop's iterations run. @experimental */
export type ExecCtx = LoopExecCtx
