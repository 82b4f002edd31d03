/**
 * The KB gate: a fail-closed check that a fact is grounded before it may enter
 * a knowledge base. The floor (passage length, passage in source, value in
 * passage, no circular citation) always runs first; consumer judges run after
 * it, and the first veto wins. The gate never throws on a candidate: anything
 * wrong, including a judge that throws, becomes a veto naming its source.
 */
import { errorMessage, ValidationError } from '../errors.js'

/** A fact proposed for a knowledge base, with the passage and source that back it. @experimental */
export interface FactCandidate {
  /** The fact in words, e.g. "revenue was $1.2B in 2025". */
  claim: string
  /** The asserted value, when the fact has one; it must appear in `verbatimPassage`. */
  value?: string | number
  /** The exact passage of the source that states the fact. */
  verbatimPassage: string
  /** The full text of the source the passage was taken from. */
  sourceText: string
  /** Where the fact comes from (URL, document id, artifact ref). */
  citation?: string
}

/** A judge's answer on one fact. @experimental */
export interface FactJudgement {
  accept: boolean
  reason?: string
}

/** A consumer check that runs after the floor; `name` is reported as `vetoedBy` when it refuses. @experimental */
export interface FactJudge {
  name: string
  judge(candidate: FactCandidate): FactJudgement | Promise<FactJudgement>
}

/** The gate's verdict: accepted, or refused by the named check with a reason. @experimental */
export interface KbGateVerdict {
  accepted: boolean
  vetoedBy?: string
  reason?: string
}

/** Options of {@link createKbGate}. @experimental */
export interface KbGateOptions {
  /** Judges run in order after the floor. */
  judges?: readonly FactJudge[]
  /** Shortest accepted passage, trimmed, in characters. Default 12. */
  minPassageChars?: number
  /** Kinds of artifacts this system writes itself (e.g. `spec`); a citation naming one is circular and vetoed. */
  selfArtifactKinds?: readonly string[]
}

/** A KB gate: resolves with a verdict for any input, never rejects. @experimental */
export type KbGate = (candidate: FactCandidate) => Promise<KbGateVerdict>

/** Default {@link KbGateOptions.minPassageChars}. @experimental */
export const DEFAULT_MIN_PASSAGE_CHARS = 12

/** Names of the floor checks in the order they run (each is a possible `vetoedBy`). @experimental */
export const KB_GATE_FLOOR_CHECKS = ['passage-non-empty', 'passage-present', 'value-in-passage', 'no-circular-citation'] as const

/** `vetoedBy` of a candidate that is not a {@link FactCandidate} at all. @experimental */
export const KB_GATE_SHAPE_CHECK = 'fact-shape'

// Brands the gates made here, so a research runner given one does not stack a second floor on it.
const KB_GATE_BRAND = Symbol.for('agent-runtime.kb-gate')

/**
 * Lowercases and collapses runs of whitespace to one space (trimmed): the form
 * in which passages, sources and values are compared.
 * @experimental
 * @example
 * normalizeKbText('  Total\n Revenue ') // 'total revenue'
 */
export function normalizeKbText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim()
}

/**
 * True when `fn` is a gate made by {@link createKbGate}.
 * @experimental
 * @example
 * isKbGate(createKbGate()) // true
 */
export function isKbGate(fn: unknown): fn is KbGate {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[KB_GATE_BRAND] === true
}

/**
 * Creates the KB gate. Floor checks, in order, on lowercased,
 * whitespace-collapsed text: `passage-non-empty` (the trimmed passage has at
 * least `minPassageChars` characters), `passage-present` (the source contains
 * the passage), `value-in-passage` (skipped without a value; a number also
 * matches its en-US comma form and "X billion"/"X million"), and
 * `no-circular-citation` (a citation naming one of `selfArtifactKinds`). Then
 * each judge in order; the first veto wins, and a judge that throws vetoes
 * under its own name.
 * @experimental
 * @example
 * const gate = createKbGate({ selfArtifactKinds: ['spec', 'cad_params'] })
 * const verdict = await gate({ claim: 'revenue was $1.2B', value: 1_200_000_000, verbatimPassage: 'revenue was $1,200,000,000', sourceText })
 * if (!verdict.accepted) console.warn(verdict.vetoedBy, verdict.reason)
 */
export function createKbGate(options: KbGateOptions = {}): KbGate {
  const { judges, minPassageChars, kinds } = readOptions(options)
  const gate = async (candidate: FactCandidate): Promise<KbGateVerdict> => {
    const shapeProblem = describeShapeProblem(candidate)
    if (shapeProblem) return veto(KB_GATE_SHAPE_CHECK, shapeProblem)
    const floor = runFloor(candidate, minPassageChars, kinds)
    if (floor) return floor
    for (const judge of judges) {
      let judgement: FactJudgement
      try {
        judgement = await judge.judge(candidate)
      } catch (err) {
        return veto(judge.name, `judge ${judge.name} threw: ${errorMessage(err)}`)
      }
      if (!judgement || typeof judgement !== 'object' || typeof judgement.accept !== 'boolean') {
        return veto(judge.name, `judge ${judge.name} returned ${JSON.stringify(judgement)}; expected {accept: boolean, reason?}`)
      }
      if (!judgement.accept) return veto(judge.name, judgement.reason ?? `vetoed by judge ${judge.name}`)
    }
    return { accepted: true }
  }
  Object.defineProperty(gate, KB_GATE_BRAND, { value: true })
  return gate
}

function readOptions(options: KbGateOptions): { judges: FactJudge[]; minPassageChars: number; kinds: string[] } {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError(`createKbGate: options must be an object {judges?, minPassageChars?, selfArtifactKinds?}, got ${String(options)}`)
  }
  const minPassageChars = options.minPassageChars ?? DEFAULT_MIN_PASSAGE_CHARS
  if (!Number.isInteger(minPassageChars) || minPassageChars < 0) {
    throw new ValidationError(`createKbGate: minPassageChars must be an integer >= 0, got ${JSON.stringify(options.minPassageChars)}`)
  }
  const judges = options.judges ?? []
  if (!Array.isArray(judges)) throw new ValidationError(`createKbGate: judges must be an array of {name, judge(candidate)}, got ${typeof judges}`)
  judges.forEach((j: FactJudge, i: number) => {
    if (!j || typeof j.name !== 'string' || j.name.length === 0 || typeof j.judge !== 'function') {
      throw new ValidationError(`createKbGate: judges[${i}] must be {name: non-empty string, judge(candidate) => {accept, reason?}}`)
    }
  })
  const kinds = options.selfArtifactKinds ?? []
  if (!Array.isArray(kinds) || kinds.some((k) => typeof k !== 'string' || k.trim() === '')) {
    throw new ValidationError(`createKbGate: selfArtifactKinds must be an array of non-empty strings, got ${JSON.stringify(options.selfArtifactKinds)}`)
  }
  return { judges: [...judges], minPassageChars, kinds: kinds.map(normalizeKbText) }
}

function veto(vetoedBy: string, reason: string): KbGateVerdict {
  return { accepted: false, vetoedBy, reason }
}

function describeShapeProblem(candidate: unknown): string | undefined {
  if (candidate === null || typeof candidate !== 'object') return `a fact must be an object {claim, verbatimPassage, sourceText, value?, citation?}, got ${candidate === null ? 'null' : typeof candidate}`
  const c = candidate as Record<string, unknown>
  for (const field of ['claim', 'verbatimPassage', 'sourceText'] as const) {
    if (typeof c[field] !== 'string') return `fact.${field} must be a string, got ${c[field] === undefined ? 'nothing' : typeof c[field]}`
  }
  if (c.value !== undefined && typeof c.value !== 'string' && !(typeof c.value === 'number' && Number.isFinite(c.value))) {
    return `fact.value must be a string or a finite number, got ${JSON.stringify(c.value) ?? typeof c.value}`
  }
  if (c.citation !== undefined && typeof c.citation !== 'string') return `fact.citation must be a string, got ${typeof c.citation}`
  return undefined
}

function runFloor(c: FactCandidate, minPassageChars: number, kinds: readonly string[]): KbGateVerdict | undefined {
  const trimmed = c.verbatimPassage.trim()
  if (trimmed.length === 0 || trimmed.length < minPassageChars) {
    return veto('passage-non-empty', `verbatim passage has ${trimmed.length} characters; at least ${minPassageChars} are required`)
  }
  const passage = normalizeKbText(c.verbatimPassage)
  if (!normalizeKbText(c.sourceText).includes(passage)) {
    return veto('passage-present', 'verbatim passage not found in source (unbacked fact)')
  }
  if (c.value !== undefined && !valueInPassage(c.value, passage)) {
    const forms = valueForms(c.value)
    return veto('value-in-passage', `value ${JSON.stringify(c.value)} not found in the verbatim passage (looked for: ${forms.map((f) => JSON.stringify(f)).join(', ')})`)
  }
  if (c.citation !== undefined && kinds.length > 0) {
    const citation = normalizeKbText(c.citation)
    const kind = kinds.find((k) => citation.includes(k))
    if (kind !== undefined) {
      return veto('no-circular-citation', `citation ${JSON.stringify(c.citation)} points at a self-generated artifact (kind ${JSON.stringify(kind)}); cite the original source`)
    }
  }
  return undefined
}

/** The spellings a value may take in a passage, normalised. */
function valueForms(value: string | number): string[] {
  if (typeof value === 'string') return [normalizeKbText(value)]
  const forms = [plainNumber(value), withThousandsCommas(value)]
  const abs = Math.abs(value)
  if (abs >= 1e9) forms.push(`${plainNumber(value / 1e9)} billion`)
  else if (abs >= 1e6) forms.push(`${plainNumber(value / 1e6)} million`)
  return [...new Set(forms)]
}

function valueInPassage(value: string | number, passage: string): boolean {
  const forms = valueForms(value)
  if (typeof value === 'string') return forms[0] !== '' && passage.includes(forms[0])
  return forms.some((form) => containsNumber(passage, form))
}

/**
 * True when `form` occurs in `text` as a whole number: not glued to further
 * digits on either side, so 5 is not found in "500" nor 1.2 in "1.25".
 */
function containsNumber(text: string, form: string): boolean {
  const isDigit = (ch: string | undefined) => ch !== undefined && ch >= '0' && ch <= '9'
  for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
    const before = text[at - 1]
    const after = text[at + form.length]
    const beforeJoined = isDigit(before) || ((before === '.' || before === ',') && isDigit(text[at - 2]))
    const afterJoined = isDigit(after) || ((after === '.' || after === ',') && isDigit(text[at + form.length + 1]))
    if (!beforeJoined && !afterJoined) return true
  }
  return false
}

/** A number without exponent or float noise: 1.2000000000000002 → "1.2", 1e21 stays exact digits. */
function plainNumber(n: number): string {
  const rounded = Number(n.toPrecision(12))
  if (Number.isInteger(rounded) && Math.abs(rounded) >= 1e21) return BigInt(rounded).toString()
  const text = String(rounded)
  if (!/e/i.test(text)) return text
  return rounded.toFixed(20).replace(/\.?0+$/, '')
}

/** The en-US grouping (1200000000 → "1,200,000,000"), written out so it does not depend on the runtime's ICU data. */
function withThousandsCommas(n: number): string {
  const text = plainNumber(n)
  const negative = text.startsWith('-')
  const [whole, fraction] = (negative ? text.slice(1) : text).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${negative ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`
}
