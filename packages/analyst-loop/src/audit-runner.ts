import { type DelegatedLoopRunner, type IdSource, randomUuid } from '@tangle-network/agent-runtime-core'
import { type AnalystLoopOptions, type AnalystLoopResult, runAnalystLoop } from './run-analyst-loop.js'

/** Options of {@link auditLoopRunner}: the analyst-loop options, with the run id made per invocation. @experimental */
export type AuditLoopRunnerOptions<Input = unknown> = Omit<AnalystLoopOptions<Input>, 'runId' | 'signal'> & {
  /** A fixed run id, or a function giving one per invocation. Default `audit_<uuid>`. */
  runId?: string | (() => string)
  ids?: IdSource
}

/**
 * The delegated `audit` mode: a runner that runs {@link runAnalystLoop} with
 * the delegation's abort signal. Register it as `audit` in a
 * `DelegatedLoopRegistry`; a throw is recorded by `runDelegatedLoop` as `{ok: false}`.
 * @experimental
 * @example
 * const registry = { audit: auditLoopRunner({ registry: analysts, inputs: { traces }, findingsStore, knowledgeAdapter }) }
 * const result = await runDelegatedLoop('audit', registry)
 */
export function auditLoopRunner<Input>(options: AuditLoopRunnerOptions<Input>): DelegatedLoopRunner<AnalystLoopResult> {
  const { runId, ids, ...rest } = options
  const nextId = () => (typeof runId === 'function' ? runId() : (runId ?? `audit_${(ids ?? randomUuid)()}`))
  return (signal) => runAnalystLoop<Input>({ ...rest, runId: nextId(), signal })
}
