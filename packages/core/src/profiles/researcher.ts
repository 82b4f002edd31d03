/**
 * The researcher profile: an agent answers a question with claims, each tied
 * to its sources, plus a summary. The validator rewards findings that are
 * present and grounded; an unsourced claim is the failure it exists to catch.
 */
import type { AgentRunSpec, DefaultVerdict, OutputAdapter, Validator } from '../contracts/loop.js'
import type { SandboxEvent } from '../contracts/sandbox.js'
import { ValidationError } from '../errors.js'
import { parseHarness } from './coder.js'
import { isRecord, readReportedObject } from './envelope.js'

/** A research question. `sources` names kinds to prefer (`web`, `corpus`, `github`, `docs`, `twitter`). @experimental */
export interface ResearchTask {
  question: string
  scope?: string
  sources?: string[]
}

/** One claim and where it comes from (URLs, document ids, citations). @experimental */
export interface ResearchFinding {
  claim: string
  sources: string[]
}

/** What a researcher run produced. @experimental */
export interface ResearchOutput {
  findings: ResearchFinding[]
  summary: string
}

/** Verdict of the researcher validator. @experimental */
export interface ResearchVerdict extends DefaultVerdict {
  scores: { presence: number; grounding: number; summary: number }
  notes: string
  /** Claims that cite no usable source. */
  ungroundedClaims: string[]
}

/** Options of {@link createResearchValidator}. @experimental */
export interface ResearchValidatorOptions {
  /** Findings needed to be valid. Default 1. */
  minFindings?: number
  /** Share of findings that must cite a source, in [0, 1]. Default 1 (every claim). */
  minGrounding?: number
}

/** Options of {@link researcherProfile}. @experimental */
export interface ResearcherProfileOptions extends ResearchValidatorOptions {
  /** Harness string (see `parseHarness`). Default `opencode`. */
  harness?: string
  /** Name of the agent run in traces. Default `researcher:<harness>`. */
  name?: string
}

/** The pieces `runLoop` needs to run a researcher. @experimental */
export interface ResearcherProfile {
  agentRun: AgentRunSpec<ResearchTask>
  output: OutputAdapter<ResearchOutput>
  validator: Validator<ResearchOutput, ResearchVerdict>
}

/** Event types whose payload may carry a {@link ResearchOutput}. @experimental */
export const RESEARCH_RESULT_EVENT_TYPES: readonly string[] = ['researcher.result', 'result', 'final']

/** Placeholders that name no source. */
const NON_SOURCES = /^(n\/?a|none|null|unknown|tbd|todo|-+|\?+)$/i

/**
 * The prompt of a researcher run: the question, scope and preferred source
 * kinds, and the JSON shape the answer must end with.
 * @example
 * researcherPrompt({ question: 'Which Node versions support require(esm)?' })
 * @experimental
 */
export function researcherPrompt(task: ResearchTask): string {
  const parts = [`Research question: ${task.question.trim()}`]
  if (task.scope?.trim()) parts.push(`Scope: ${task.scope.trim()}`)
  if (task.sources?.length) parts.push(`Prefer these kinds of sources: ${task.sources.join(', ')}.`)
  parts.push(
    'Every claim must cite at least one source (a URL, document id or citation) you actually read; leave out claims you cannot source.',
    'End your answer with a fenced ```json block of the form {"findings":[{"claim":"…","sources":["…"]}],"summary":"…"}.',
  )
  return parts.join('\n\n')
}

/**
 * Reads a {@link ResearchOutput} from a run's events: the last
 * `researcher.result`/`result`/`final` payload with `findings` or `summary`,
 * else the last such fenced JSON block. Malformed findings are dropped; a
 * finding's sources are trimmed, deduplicated and stripped of placeholders
 * ("n/a", "unknown"). Throws {@link ValidationError} when nothing is found.
 * @example
 * await createResearchOutputAdapter().parse([{ type: 'result', data: { result: { findings: [], summary: 'none' } } }])
 * @experimental
 */
export function createResearchOutputAdapter(): OutputAdapter<ResearchOutput> {
  return {
    parse(events: SandboxEvent[]): ResearchOutput {
      const found = readReportedObject(events, RESEARCH_RESULT_EVENT_TYPES, (v) => Array.isArray(v.findings) || typeof v.summary === 'string')
      if (!found) {
        throw new ValidationError(
          'researcher output: no researcher.result/result/final event or fenced JSON block with {findings, summary}; ask the agent to end with that JSON block.',
        )
      }
      const findings: ResearchFinding[] = []
      for (const raw of Array.isArray(found.findings) ? found.findings : []) {
        if (!isRecord(raw) || typeof raw.claim !== 'string' || raw.claim.trim() === '') continue
        const listed = Array.isArray(raw.sources) ? raw.sources : typeof raw.source === 'string' ? [raw.source] : []
        const sources = [...new Set(listed.filter((s): s is string => typeof s === 'string').map((s) => s.trim()))].filter(
          (s) => s !== '' && !NON_SOURCES.test(s),
        )
        findings.push({ claim: raw.claim.trim(), sources })
      }
      return { findings, summary: typeof found.summary === 'string' ? found.summary.trim() : '' }
    },
  }
}

/**
 * The researcher validator. Scores presence (findings vs `minFindings`),
 * grounding (share of findings citing a source) and the summary:
 * score = 0.3·presence + 0.5·grounding + 0.2·summary. Valid when there are at
 * least `minFindings` findings, grounding ≥ `minGrounding`, and a summary.
 * @example
 * const verdict = await createResearchValidator().validate(output, { iteration: 0 })
 * @experimental
 */
export function createResearchValidator(options: ResearchValidatorOptions = {}): Validator<ResearchOutput, ResearchVerdict> {
  const minFindings = options.minFindings ?? 1
  const minGrounding = options.minGrounding ?? 1
  if (!Number.isInteger(minFindings) || minFindings < 1) {
    throw new ValidationError(`createResearchValidator: minFindings must be an integer >= 1, got ${JSON.stringify(options.minFindings)}`)
  }
  if (typeof minGrounding !== 'number' || !(minGrounding >= 0 && minGrounding <= 1)) {
    throw new ValidationError(`createResearchValidator: minGrounding must be a number in [0, 1], got ${JSON.stringify(options.minGrounding)}`)
  }
  return {
    validate(output: ResearchOutput): ResearchVerdict {
      const findings = Array.isArray(output?.findings) ? output.findings : []
      const ungroundedClaims = findings.filter((f) => !Array.isArray(f?.sources) || f.sources.length === 0).map((f) => String(f?.claim ?? ''))
      const presence = Math.min(1, findings.length / minFindings)
      const grounding = findings.length === 0 ? 0 : (findings.length - ungroundedClaims.length) / findings.length
      const summary = typeof output?.summary === 'string' && output.summary.trim() !== '' ? 1 : 0
      const problems: string[] = []
      if (findings.length < minFindings) problems.push(`too few findings: ${findings.length} < minFindings ${minFindings}`)
      if (findings.length > 0 && grounding < minGrounding) {
        problems.push(`ungrounded claims (${ungroundedClaims.length}/${findings.length}): ${ungroundedClaims.map((c) => JSON.stringify(c.slice(0, 80))).join(', ')}`)
      }
      if (summary === 0) problems.push('summary missing')
      const valid = problems.length === 0
      return {
        valid,
        score: 0.3 * presence + 0.5 * grounding + 0.2 * summary,
        scores: { presence, grounding, summary },
        notes: valid ? `passed: ${findings.length} grounded finding(s) with a summary` : problems.join('; '),
        ungroundedClaims,
      }
    },
  }
}

/**
 * Builds a researcher for one harness: the agent run spec (prompt asks for
 * sourced claims as JSON), the output adapter and the grounding validator.
 * @example
 * const researcher = researcherProfile({ harness: 'claude-code' })
 * await runLoop({ driver, agentRun: researcher.agentRun, output: researcher.output, validator: researcher.validator, task: { question }, ctx })
 * @experimental
 */
export function researcherProfile(options: ResearcherProfileOptions = {}): ResearcherProfile {
  const harness = options.harness ?? 'opencode'
  const ref = parseHarness(harness)
  return {
    agentRun: {
      name: options.name ?? `researcher:${harness}`,
      profile: { name: 'researcher', metadata: { backendType: ref.backendType, harness } },
      taskToPrompt: (task: ResearchTask) => {
        if (typeof task?.question !== 'string' || task.question.trim() === '') {
          throw new ValidationError(`researcherProfile: task.question must be a non-empty string, got ${JSON.stringify(task?.question)}`)
        }
        return researcherPrompt(task)
      },
      sandboxOverrides: ref.model
        ? { backend: { type: ref.backendType, model: { ...(ref.provider ? { provider: ref.provider } : {}), model: ref.model } } }
        : undefined,
    },
    output: createResearchOutputAdapter(),
    validator: createResearchValidator(options),
  }
}
