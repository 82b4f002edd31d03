/**
 * Analyst contracts, shaped like agent-eval's (`AnalystFinding` uses its
 * snake_case wire names) so findings flow to its proposers unchanged.
 */

/** How bad a finding is. @experimental */
export type FindingSeverity = 'info' | 'low' | 'medium' | 'high' | 'critical'

/** A pointer to the evidence behind a finding (a run, an event, a file). @experimental */
export interface EvidenceRef {
  kind: string
  uri: string
}

/** One thing an analyst found. `finding_id` is stable across runs for the same finding. @experimental */
export interface AnalystFinding {
  finding_id: string
  analyst_id: string
  severity: FindingSeverity
  /** What the finding is about, e.g. `error:TimeoutError`, `tool:search`, `cost`, `latency`, `knowledge`. */
  area: string
  claim: string
  evidence_refs: EvidenceRef[]
  recommended_action?: string
  /** In [0, 1]. */
  confidence: number
  /** The surface-relative subject the finding would change (e.g. a knowledge file name). */
  subject?: string
}

/** A finding before its stable id is assigned. @experimental */
export type AnalystFindingDraft = Omit<AnalystFinding, 'finding_id' | 'analyst_id'> & { finding_id?: string }

/** What an analyst is given when it runs. @experimental */
export interface AnalystContext {
  runId: string
  /** Prior findings, as chosen by the loop's prior-findings strategy. */
  priorFindings: AnalystFinding[] | Record<string, AnalystFinding[]> | undefined
  signal?: AbortSignal
}

/** One analyst: deterministic or model-driven. @experimental */
export interface Analyst<Input = unknown> {
  id: string
  description: string
  inputKind: 'trace-store' | 'artifact-dir' | 'run-record' | 'judge-input' | 'custom'
  cost: { kind: 'deterministic' | 'llm' }
  version: string
  analyze(input: Input, ctx: AnalystContext): Promise<AnalystFinding[]> | AnalystFinding[]
}

/** An analyst that failed; recorded in the result rather than thrown. @experimental */
export interface AnalystErrorRecord {
  analyst_id: string
  message: string
  /** The raw model output, for a malformed-output failure. */
  raw?: string
}

/** What running the registry produced. @experimental */
export interface AnalystRunResult {
  findings: AnalystFinding[]
  errors: AnalystErrorRecord[]
  /** Per analyst: how many findings it produced and how long it took. */
  analysts: { analyst_id: string; findings: number; durationMs: number; ok: boolean }[]
}

/** One event of {@link AnalystRegistry.runStream}; the last is `run-completed`. @experimental */
export type AnalystStreamEvent =
  | { type: 'analyst-started'; analystId: string }
  | { type: 'analyst-finished'; analystId: string; findings: AnalystFinding[]; durationMs: number }
  | { type: 'analyst-error'; analystId: string; error: AnalystErrorRecord }
  | { type: 'run-completed'; result: AnalystRunResult }

/** Options of a registry run. @experimental */
export interface AnalystRegistryRunOptions {
  runId: string
  priorFindings?: AnalystContext['priorFindings']
  /** Only these analyst ids (default: all). */
  only?: readonly string[]
  signal?: AbortSignal
}

/** The analysts the loop runs. @experimental */
export interface AnalystRegistry<Input = unknown> {
  list(): Analyst<Input>[]
  run(input: Input, options: AnalystRegistryRunOptions): Promise<AnalystRunResult>
  runStream?(input: Input, options: AnalystRegistryRunOptions): AsyncIterable<AnalystStreamEvent>
}
