import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError } from '@tangle-network/agent-runtime-core'
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'

const phase = z.union([z.string(), z.record(z.string(), z.unknown())])

/** One loop pattern of `registry.yaml` (the loop-engineering format). @experimental */
export const loopPatternSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'use lowercase letters, digits and dashes'),
  name: z.string().min(1),
  file: z.string().min(1),
  goal: z.string().min(1),
  cadence: z.string().min(1),
  risk: z.enum(['low', 'medium', 'high']),
  tools: z.array(z.string()),
  skills: z.array(z.string()),
  state: z.union([z.string(), z.record(z.string(), z.unknown())]),
  phases: z.array(phase).min(1),
  human_gates: z.union([
    z.array(z.string()),
    z.object({
      deny: z.array(z.string()).optional(),
      allow: z.array(z.string()).optional(),
      max_files_changed: z.number().int().positive().optional(),
      max_attempts: z.number().int().positive().optional(),
      escalate_on: z.array(z.enum(['security', 'payments', 'infra', 'dependencies'])).optional(),
    }),
  ]),
  week_one_mode: z.enum(['L0', 'L1', 'L2', 'L3']).optional(),
  cost: z.object({ suggested_daily_cap: z.number().int().positive().optional() }).optional(),
  test_cmd: z.string().optional(),
})

/** A validated loop pattern. @experimental */
export type LoopPattern = z.infer<typeof loopPatternSchema>

/** The whole registry: `patterns:` (or `loops:`) holding the patterns. @experimental */
export interface LoopRegistry {
  file: string
  patterns: LoopPattern[]
  /** The line of a pattern's field (or of the pattern when the field is absent), for error messages. */
  lineOf(id: string, field: string): number
}

/**
 * Parses a `registry.yaml` text. Every error names the file, the field path
 * and the line, e.g. `registry.yaml:7: patterns[0].risk: Invalid option`.
 * @experimental
 * @example
 * const registry = parseLoopRegistry(readFileSync('registry.yaml', 'utf8'), 'registry.yaml')
 */
export function parseLoopRegistry(text: string, file: string): LoopRegistry {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false })
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!
    const line = lineCounter.linePos(e.pos[0]).line
    throw new ConfigError(`${file}:${line}: YAML syntax error: ${e.message.split('\n')[0]}`)
  }
  const root = doc.contents
  const key = isMap(root) && root.has('patterns') ? 'patterns' : isMap(root) && root.has('loops') ? 'loops' : undefined
  if (!key) throw new ConfigError(`${file}:1: expected a top-level \`patterns:\` list of loop patterns`)
  const list = doc.get(key)
  if (!isSeq(list)) throw new ConfigError(`${file}:${lineOf(doc, [key], lineCounter)}: ${key} must be a list of patterns`)
  const data = doc.toJS() as Record<string, unknown[]>
  const patterns: LoopPattern[] = []
  const seen = new Set<string>()
  ;(data[key] ?? []).forEach((raw, i) => {
    const parsed = loopPatternSchema.safeParse(raw)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      const path = [key, i, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))]
      const field = `${key}[${i}]${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`
      throw new ConfigError(`${file}:${lineOf(doc, path, lineCounter)}: ${field}: ${issue.message}`)
    }
    if (seen.has(parsed.data.id)) throw new ConfigError(`${file}:${lineOf(doc, [key, i, 'id'], lineCounter)}: ${key}[${i}].id: duplicate pattern id '${parsed.data.id}'`)
    seen.add(parsed.data.id)
    patterns.push(parsed.data)
  })
  return {
    file,
    patterns,
    lineOf: (id, field) => {
      const i = patterns.findIndex((p) => p.id === id)
      return i < 0 ? 1 : lineOf(doc, [key, i, field], lineCounter)
    },
  }
}

/** The line of the deepest node along `path` that exists (a missing field points at its pattern). */
function lineOf(doc: ReturnType<typeof parseDocument>, path: (string | number)[], lc: LineCounter): number {
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined
    if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line
    // A map entry's key gives the line of a scalar value too.
  }
  return 1
}

/**
 * Reads and parses `registry.yaml` from disk.
 * @experimental
 * @example
 * const { patterns } = loadLoopRegistry('registry.yaml')
 */
export function loadLoopRegistry(path: string): LoopRegistry {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the registry (${(err as NodeJS.ErrnoException).code ?? String(err)}); run in a folder with registry.yaml or pass --registry <path>`)
  }
  return parseLoopRegistry(text, path)
}

/**
 * Finds a pattern by id; the error lists the ids there are.
 * @experimental
 * @example
 * const pattern = findPattern(registry, 'daily-triage')
 */
export function findPattern(registry: LoopRegistry, id: string): LoopPattern {
  const hit = registry.patterns.find((p) => p.id === id)
  if (!hit) throw new ConfigError(`${registry.file}: no pattern '${id}' (patterns: ${registry.patterns.map((p) => p.id).join(', ') || 'none'})`)
  return hit
}

/** A pattern's LOOP.md: optional front matter, and the body handed to the agent as instructions. @experimental */
export interface LoopFile {
  path: string
  frontMatter: Record<string, unknown>
  body: string
}

/**
 * Reads a pattern's `LOOP.md` (its `file`, relative to the registry). A
 * missing file or bad front matter is a `ConfigError` naming the registry,
 * the line and the field.
 * @experimental
 * @example
 * const loop = readLoopFile(registry, pattern) // → { path, frontMatter, body }
 */
export function readLoopFile(registry: LoopRegistry, pattern: LoopPattern): LoopFile {
  const path = resolve(dirname(registry.file), pattern.file)
  const i = registry.patterns.indexOf(pattern)
  const where = `${registry.file}:${registry.lineOf(pattern.id, 'file')}: patterns[${i}].file`
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    throw new ConfigError(`${where}: ${path} not found; create the pattern's LOOP.md or fix the path`)
  }
  const fm = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/.exec(text)
  if (!fm) return { path, frontMatter: {}, body: text.trim() }
  const lc = new LineCounter()
  const doc = parseDocument(fm[1]!, { lineCounter: lc, prettyErrors: false })
  if (doc.errors.length > 0) throw new ConfigError(`${path}:${lc.linePos(doc.errors[0]!.pos[0]).line + 1}: front matter YAML syntax error: ${doc.errors[0]!.message.split('\n')[0]}`)
  const data = doc.toJS()
  return { path, frontMatter: data && typeof data === 'object' ? (data as Record<string, unknown>) : {}, body: text.slice(fm[0].length).trim() }
}
