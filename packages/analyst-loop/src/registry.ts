import { type Clock, ConfigError, errorMessage, systemClock, ValidationError } from '@tangle-network/agent-runtime-core'
import { findingId } from './diff.js'
import type { Analyst, AnalystErrorRecord, AnalystFinding, AnalystRegistry, AnalystRegistryRunOptions, AnalystRunResult, AnalystStreamEvent } from './types.js'

/** Thrown by an analyst whose model output could not be validated; the registry records `raw`. @experimental */
export class AnalystOutputError extends Error {
  readonly raw: string
  constructor(message: string, raw: string) {
    super(message)
    this.name = 'AnalystOutputError'
    this.raw = raw
  }
}

function normalise(analyst: Analyst<unknown>, f: AnalystFinding): AnalystFinding {
  const finding: AnalystFinding = { ...f, analyst_id: f.analyst_id || analyst.id }
  finding.confidence = Math.min(1, Math.max(0, Number.isFinite(f.confidence) ? f.confidence : 0))
  if (!finding.finding_id) finding.finding_id = findingId(finding)
  return finding
}

/**
 * An {@link AnalystRegistry} over a list of analysts. Analysts run one after
 * another; one that throws is recorded as an analyst error and the rest still run.
 * `only` keeps the named analysts (e.g. `agent.analystKinds`); an unknown name is a `ConfigError`.
 * @experimental
 * @example
 * const registry = createAnalystRegistry([createFailureClusterAnalyst(), createModelAnalyst({ backend, model })], { only: agent.analystKinds })
 */
export function createAnalystRegistry<Input>(all: readonly Analyst<Input>[], options: { clock?: Clock; only?: readonly string[] } = {}): AnalystRegistry<Input> {
  const clock = options.clock ?? systemClock
  const seen = new Set<string>()
  for (const a of all) {
    if (!a || typeof a.analyze !== 'function' || typeof a.id !== 'string' || a.id === '') {
      throw new ValidationError('createAnalystRegistry: every analyst needs a non-blank id and an analyze() function.')
    }
    if (seen.has(a.id)) throw new ValidationError(`createAnalystRegistry: duplicate analyst id '${a.id}'; give each analyst its own id.`)
    seen.add(a.id)
  }
  const unknown = (options.only ?? []).filter((id) => !seen.has(id))
  if (unknown.length > 0) throw new ConfigError(`createAnalystRegistry: only names unknown analyst(s) ${unknown.join(', ')} (available: ${[...seen].join(', ') || 'none'}).`)
  const analysts = options.only ? all.filter((a) => options.only!.includes(a.id)) : all
  async function* runStream(input: Input, opts: AnalystRegistryRunOptions): AsyncGenerator<AnalystStreamEvent> {
    const findings: AnalystFinding[] = []
    const errors: AnalystErrorRecord[] = []
    const summary: AnalystRunResult['analysts'] = []
    const chosen = opts.only ? analysts.filter((a) => opts.only!.includes(a.id)) : analysts
    for (const analyst of chosen) {
      if (opts.signal?.aborted) break
      yield { type: 'analyst-started', analystId: analyst.id }
      const started = clock()
      try {
        const out = await analyst.analyze(input, { runId: opts.runId, priorFindings: opts.priorFindings, signal: opts.signal })
        const list = (Array.isArray(out) ? out : []).map((f) => normalise(analyst as Analyst<unknown>, f))
        findings.push(...list)
        const durationMs = clock() - started
        summary.push({ analyst_id: analyst.id, findings: list.length, durationMs, ok: true })
        yield { type: 'analyst-finished', analystId: analyst.id, findings: list, durationMs }
      } catch (err) {
        const error: AnalystErrorRecord = { analyst_id: analyst.id, message: errorMessage(err) }
        if (err instanceof AnalystOutputError) error.raw = err.raw
        errors.push(error)
        summary.push({ analyst_id: analyst.id, findings: 0, durationMs: clock() - started, ok: false })
        yield { type: 'analyst-error', analystId: analyst.id, error }
      }
    }
    yield { type: 'run-completed', result: { findings, errors, analysts: summary } }
  }
  return {
    list: () => [...analysts],
    runStream,
    async run(input, opts) {
      let result: AnalystRunResult | undefined
      for await (const e of runStream(input, opts)) if (e.type === 'run-completed') result = e.result
      return result!
    },
  }
}
