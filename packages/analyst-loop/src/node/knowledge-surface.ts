import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ValidationError } from '@tangle-network/agent-runtime-core'
import { resolveSubjectPath, type TraceStore } from '@tangle-network/agent-runtime-core/agent'
import type { FactCandidate, KbGate } from '../gates.js'
import type { SurfaceAdapter, SurfaceApplyOutcome, SurfaceProposal } from '../surface-adapter.js'
import type { AnalystFinding } from '../types.js'

/** A fact proposed for the knowledge surface: where it would be written and what. @experimental */
export interface KnowledgeWriteProposal extends SurfaceProposal {
  /** Absolute path of the file the fact is written to. */
  file: string
  candidate: FactCandidate
  content: string
}

/** Options of {@link createKnowledgeSurface}. @experimental */
export interface KnowledgeSurfaceOptions {
  /** The knowledge surface directory (absolute; e.g. `agent.surfacePaths.knowledge`). */
  dir: string
  /** The KB gate (`createKbGate(...)` from `/mcp`); only accepted facts are written. */
  gate: KbGate
  /** Which findings become facts. Default: area `knowledge` with a `recommended_action`. */
  accept?: (finding: AnalystFinding) => boolean
  /** The source text a finding's fact must be found in (e.g. {@link traceSourceResolver}). */
  resolveSource: (finding: AnalystFinding) => Promise<string | undefined> | string | undefined
  /** Builds the candidate. Default: claim = recommended action; passage = its first double-quoted span, else the action itself. */
  toCandidate?: (finding: AnalystFinding, sourceText: string) => FactCandidate
}

function defaultCandidate(finding: AnalystFinding, sourceText: string): FactCandidate {
  const claim = (finding.recommended_action ?? finding.claim).trim()
  const quoted = /"([^"]{4,})"/.exec(claim) ?? /"([^"]{4,})"/.exec(finding.claim)
  return { claim, verbatimPassage: quoted ? quoted[1]! : claim, sourceText, citation: finding.evidence_refs[0]?.uri }
}

function render(finding: AnalystFinding, c: FactCandidate): string {
  const lines = [`# ${c.claim}`, '', `> ${c.verbatimPassage.replace(/\n/g, '\n> ')}`, '']
  if (c.citation) lines.push(`- source: ${c.citation}`)
  lines.push(`- finding: ${finding.finding_id} (${finding.analyst_id}, confidence ${finding.confidence})`, '')
  return lines.join('\n')
}

/**
 * The text the run's tools actually returned (every `tool_result` of the
 * runs a finding cites), for grounding knowledge facts in real evidence.
 * @experimental
 * @example
 * createKnowledgeSurface({ dir, gate: createKbGate(), resolveSource: traceSourceResolver(traces) })
 */
export function traceSourceResolver(traces: TraceStore): (finding: AnalystFinding) => Promise<string | undefined> {
  return async (finding) => {
    const runIds = [...new Set(finding.evidence_refs.map((r) => /^trace:\/\/([^#]+)/.exec(r.uri)?.[1]).filter((x): x is string => !!x))]
    const parts: string[] = []
    for (const runId of runIds) {
      for (const e of await traces.events(runId)) {
        if (e.type !== 'tool_result') continue
        const r = e.payload.result ?? e.payload.output
        parts.push(typeof r === 'string' ? r : JSON.stringify(r))
      }
    }
    return parts.length > 0 ? parts.join('\n') : undefined
  }
}

/**
 * The knowledge surface: proposes one fact file per accepted finding (path
 * from {@link resolveSubjectPath} under `dir`), and on apply writes only the
 * facts the KB gate accepts. A vetoed fact is reported as rejected with the
 * gate's reason and never written.
 * @experimental
 * @example
 * const knowledgeAdapter = createKnowledgeSurface({ dir: agent.surfacePaths.knowledge!, gate: createKbGate(), resolveSource: traceSourceResolver(traces) })
 */
export function createKnowledgeSurface(options: KnowledgeSurfaceOptions): SurfaceAdapter<KnowledgeWriteProposal> {
  const { dir, gate } = options
  if (!path.isAbsolute(dir)) throw new ValidationError(`createKnowledgeSurface: dir '${dir}' must be absolute (e.g. agent.surfacePaths.knowledge).`)
  if (typeof gate !== 'function') throw new ValidationError('createKnowledgeSurface: gate is required (createKbGate from /mcp); facts are written only when it accepts them.')
  const accept = options.accept ?? ((f: AnalystFinding) => f.area === 'knowledge' && !!f.recommended_action)
  const toCandidate = options.toCandidate ?? defaultCandidate
  return {
    surface: 'knowledge',
    async propose(findings) {
      const items: KnowledgeWriteProposal[] = []
      for (const finding of findings.filter(accept)) {
        const sourceText = (await options.resolveSource(finding)) ?? ''
        const candidate = toCandidate(finding, sourceText)
        const name = finding.subject ?? finding.claim.slice(0, 60)
        const rel = resolveSubjectPath('', name.endsWith('.md') ? name : `${name}.md`)
        items.push({ id: `knowledge:${finding.finding_id}`, sourceFindingId: finding.finding_id, title: candidate.claim, file: path.join(dir, rel), candidate, content: render(finding, candidate) })
      }
      return items
    },
    async apply(items) {
      const out: SurfaceApplyOutcome<KnowledgeWriteProposal>[] = []
      for (const item of items) {
        const verdict = await gate(item.candidate)
        if (!verdict.accepted) {
          out.push({ item, applied: false, rejected: true, reason: `KB gate vetoed it (${verdict.vetoedBy ?? 'gate'}): ${verdict.reason ?? 'no reason given'}`, detail: { ...verdict } })
          continue
        }
        await mkdir(path.dirname(item.file), { recursive: true })
        await writeFile(item.file, item.content)
        out.push({ item, applied: true, detail: { file: item.file } })
      }
      return out
    },
  }
}
