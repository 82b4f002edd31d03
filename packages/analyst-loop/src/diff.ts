import { canonicalJson, fnv1a32 } from '@tangle-network/agent-runtime-core'
import type { AnalystFinding } from './types.js'

/**
 * The stable id of a finding: a hash of its analyst, area, subject and claim,
 * with digit runs folded so "3 runs failed" and "5 runs failed" are the same
 * finding. Confidence, severity and evidence do not change the id.
 * @experimental
 * @example
 * findingId({ analyst_id: 'failure-clusters', area: 'error:TimeoutError', claim: '3 runs timed out' }) // 'f_…'
 */
export function findingId(finding: Pick<AnalystFinding, 'analyst_id' | 'area' | 'claim'> & { subject?: string }): string {
  const claim = finding.claim.toLowerCase().replace(/\d+(\.\d+)?/g, '#').replace(/\s+/g, ' ').trim()
  return `f_${fnv1a32(canonicalJson({ a: finding.analyst_id, r: finding.area, s: finding.subject ?? '', c: claim }))}`
}

/** Findings of a run compared with its baseline run's. @experimental */
export interface FindingsDiff {
  /** In this run, not in the baseline. */
  new: AnalystFinding[]
  /** In the baseline, gone from this run. */
  resolved: AnalystFinding[]
  /** In both; `finding` is this run's, `previous` the baseline's. */
  persisting: { finding: AnalystFinding; previous: AnalystFinding }[]
}

/**
 * Diffs a run's findings against its baseline's by `finding_id`. Order
 * follows the current list (new, persisting) and the baseline list (resolved).
 * @experimental
 * @example
 * const diff = diffFindings(await store.list(baselineRunId), findings)
 * console.log(diff.new.length, diff.resolved.length, diff.persisting.length)
 */
export function diffFindings(baseline: readonly AnalystFinding[], current: readonly AnalystFinding[]): FindingsDiff {
  const before = new Map(baseline.map((f) => [f.finding_id, f]))
  const now = new Set(current.map((f) => f.finding_id))
  const diff: FindingsDiff = { new: [], resolved: [], persisting: [] }
  const seen = new Set<string>()
  for (const f of current) {
    if (seen.has(f.finding_id)) continue
    seen.add(f.finding_id)
    const prev = before.get(f.finding_id)
    if (prev) diff.persisting.push({ finding: f, previous: prev })
    else diff.new.push(f)
  }
  for (const f of baseline) if (!now.has(f.finding_id)) diff.resolved.push(f)
  return diff
}
