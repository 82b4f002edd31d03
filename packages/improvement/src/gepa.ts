/**
 * `gepaDriver`: GEPA-style reflective prompt evolution. A reflection model,
 * reached through any AgentExecutionBackend, reads a frontier parent's worst
 * and best cells with the judges' notes and proposes edited prompts; frontier
 * parents can be merged. Proposals that break the constraints are dropped.
 */
import { type AgentExecutionBackend, type Clock, ValidationError, systemClock } from '@tangle-network/agent-runtime-core'
import { hashSurface } from './campaign.js'
import { selectParent } from './pareto.js'
import { callReflectionModel, parseProposals } from './reflection.js'
import { promptSections, sentenceEdits } from './text-edits.js'
import type { ImprovementDriver, ParetoParent, ProposeContext, ProposedCandidate } from './types.js'

/** The default edits the reflection model may make (GEPA's mutation primitives). @experimental */
export const DEFAULT_MUTATION_PRIMITIVES: readonly string[] = [
  'strengthen an imperative',
  'add an example',
  'drop a redundant rule',
  'add a counterfactual',
  'reorder instructions',
  'use domain nouns',
]

/** Options of {@link gepaDriver}. @experimental */
export interface GepaDriverOptions {
  /** The reflection model, through any backend (an OpenAI-compatible one, a sandbox, the scripted backend in tests). */
  llm: AgentExecutionBackend
  /** Model name passed to the backend as `inputs.model`. */
  model?: string
  /** What is being optimised, named in the reflection prompt (default `'system prompt'`). */
  target?: string
  /** Allowed edit kinds; when given, a proposal must name one of them as its `primitive`. */
  mutationPrimitives?: readonly string[]
  /** Markdown section titles whose heading and body must come back unchanged. */
  preserveSections?: readonly string[]
  /** Most sentences one proposal may change (relative to its parent). */
  maxSentenceEdits?: number
  /** Worst and best cells shown as evidence (default 3 each). */
  evidenceK?: number
  /** Merge frontier parents when there are two or more (default true). */
  combineParents?: boolean
  /** Parents merged at most (default 4). */
  combineMaxParents?: number
  now?: Clock
}

function describeParent(parent: ParetoParent, k: number): string {
  const cells = [...parent.campaign.cells].sort((a, b) => a.value - b.value || a.cellId.localeCompare(b.cellId))
  const show = (c: (typeof cells)[number]) => {
    const notes = Object.entries(c.notes).map(([j, n]) => `${j}: ${n}`)
    return `- ${c.cellId} score ${c.value.toFixed(2)}${notes.length ? ` — ${notes.join('; ')}` : ''}\n  output: ${c.output.slice(0, 300)}`
  }
  const judgeMeans = new Map<string, number[]>()
  for (const c of cells) for (const [j, s] of Object.entries(c.scores)) judgeMeans.set(j, [...(judgeMeans.get(j) ?? []), s])
  const weakest = [...judgeMeans.entries()]
    .map(([j, xs]) => ({ j, m: xs.reduce((a, b) => a + b, 0) / xs.length }))
    .sort((a, b) => a.m - b.m)
    .slice(0, 3)
    .map((x) => `${x.j} (${x.m.toFixed(2)})`)
  const failing = cells.filter((c) => c.value < 1).slice(0, k)
  const best = cells.slice(-k).reverse()
  return [
    `Failing cases (worst first):\n${failing.map(show).join('\n') || '- none'}`,
    `Best cases (keep what they rely on):\n${best.map(show).join('\n') || '- none'}`,
    `Weakest judges: ${weakest.join(', ') || 'none'}`,
  ].join('\n\n')
}

/**
 * A GEPA proposer over any {@link AgentExecutionBackend}: per generation it
 * merges frontier parents (when there are two or more) and fills the other
 * slots by reflective mutation of a parent drawn from the Pareto frontier.
 * @experimental
 * @example
 * const driver = gepaDriver({ llm: createOpenAICompatibleBackend({ model: 'gpt-4o-mini' }), preserveSections: ['Safety'], maxSentenceEdits: 3 })
 */
export function gepaDriver(options: GepaDriverOptions): ImprovementDriver<string> {
  if (!options?.llm || typeof options.llm.stream !== 'function') {
    throw new ValidationError('gepaDriver: `llm` must be an AgentExecutionBackend (an object with a stream(input, ctx) method).')
  }
  if (options.maxSentenceEdits !== undefined && !(Number.isInteger(options.maxSentenceEdits) && options.maxSentenceEdits >= 1)) {
    throw new ValidationError(`gepaDriver: maxSentenceEdits must be a positive integer; received ${String(options.maxSentenceEdits)}.`)
  }
  const target = options.target ?? 'system prompt'
  const primitives = options.mutationPrimitives ?? DEFAULT_MUTATION_PRIMITIVES
  const strictPrimitives = options.mutationPrimitives !== undefined
  const evidenceK = options.evidenceK ?? 3
  const now = options.now ?? systemClock
  let rejected: Array<{ label: string; reason: string }> = []

  const rules = [
    `You improve a ${target}. Localise the failing span, diagnose the root cause, and make the minimal generalising edit; do not memorise the cases.`,
    'Keep everything the best cases rely on.',
    `Each proposal uses one of these edit kinds, named in "primitive": ${primitives.join('; ')}.`,
    options.preserveSections?.length ? `These sections must be returned unchanged, heading and body: ${options.preserveSections.join(', ')}.` : '',
    options.maxSentenceEdits ? `Change at most ${options.maxSentenceEdits} sentences.` : '',
    'Answer with JSON only: {"proposals": [{"label": string, "rationale": string, "primitive": string, "payload": string}]}, where payload is the FULL new text.',
  ]
    .filter(Boolean)
    .join('\n')

  const check = async (
    p: { label: string; rationale: string; primitive?: string; payload: string },
    parents: readonly string[],
    ctx: ProposeContext<string>,
    batch: Set<string>,
  ): Promise<string | undefined> => {
    if (!p.payload.trim()) return 'empty proposal'
    if (parents.includes(p.payload)) return 'identical to its parent'
    const hash = await hashSurface(p.payload)
    if (ctx.seenHashes.has(hash) || batch.has(hash)) return 'duplicate of a candidate already proposed'
    if (strictPrimitives && !primitives.includes(p.primitive ?? '')) return `primitive '${p.primitive ?? '(none)'}' is not one of mutationPrimitives`
    for (const title of options.preserveSections ?? []) {
      const kept = promptSections(parents[0]!).get(title)
      if (kept !== undefined && promptSections(p.payload).get(title) !== kept) return `changes preserved section '${title}'`
    }
    if (options.maxSentenceEdits !== undefined) {
      const edits = Math.min(...parents.map((parent) => sentenceEdits(parent, p.payload)))
      if (edits > options.maxSentenceEdits) return `edits ${edits} sentences; maxSentenceEdits is ${options.maxSentenceEdits}`
    }
    batch.add(hash)
    return undefined
  }

  const ask = async (system: string, user: string, ctx: ProposeContext<string>) => {
    const text = await callReflectionModel(options.llm, { system, user, model: options.model, signal: ctx.signal, recordUsage: ctx.recordUsage, now })
    const parsed = parseProposals(text)
    if (!parsed.ok) rejected.push({ label: '(reflection output)', reason: parsed.error })
    return parsed.ok ? parsed.proposals : []
  }

  return {
    kind: 'gepa',
    lastRejected: () => rejected,
    async propose(ctx) {
      rejected = []
      const out: ProposedCandidate<string>[] = []
      const batch = new Set<string>()
      const frontier = ctx.paretoParents
      if ((options.combineParents ?? true) && frontier.length >= 2 && ctx.populationSize >= 2) {
        const parents = [...frontier].sort((a, b) => b.composite - a.composite).slice(0, options.combineMaxParents ?? 4)
        const user = parents
          .map((p, i) => {
            const wins = Object.entries(p.objectives)
              .filter(([s, v]) => frontier.every((o) => (o.objectives[s] ?? 0) <= v))
              .map(([s]) => s)
            return `Parent ${i + 1} (${p.label}), best on: ${wins.join(', ') || 'none'}\n"""\n${p.surface}\n"""`
          })
          .join('\n\n')
        const merged = await ask(
          `${rules}\nMerge the parents into ONE ${target} that keeps each parent's winning rules; on a conflict keep the more general rule. Return exactly one proposal.`,
          user,
          ctx,
        )
        for (const p of merged.slice(0, 1)) {
          const why = await check(
            p,
            parents.map((x) => x.surface),
            ctx,
            batch,
          )
          if (why) rejected.push({ label: p.label, reason: why })
          else out.push({ surface: p.payload, label: `merge: ${p.label}`, rationale: p.rationale })
        }
      }
      const slots = ctx.populationSize - out.length
      if (slots > 0) {
        const parent = selectParent(frontier.length ? frontier : [ctx.incumbent], ctx.rng)
        const user = `Current ${target} (${parent.label}, composite ${parent.composite.toFixed(3)}):\n"""\n${parent.surface}\n"""\n\n${describeParent(parent, evidenceK)}\n\nPropose ${slots} different edited versions.`
        for (const p of await ask(rules, user, ctx)) {
          if (out.length >= ctx.populationSize) break
          const why = await check(p, [parent.surface], ctx, batch)
          if (why) rejected.push({ label: p.label, reason: why })
          else out.push({ surface: p.payload, label: p.label, rationale: p.rationale })
        }
      }
      return out
    },
  }
}
