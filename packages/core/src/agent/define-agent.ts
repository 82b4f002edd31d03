import { z } from 'zod'
import { AgentRuntimeError, ConfigError } from '../errors.js'
import { OPTIONAL_AGENT_SURFACES, REQUIRED_AGENT_SURFACES, type AgentSurfaceName } from './surfaces.js'
import type { AgentDefinition, AgentManifest, AgentPersona } from './types.js'

/** What a path is on disk, as the manifest check sees it. @experimental */
export type AgentPathKind = 'file' | 'directory' | 'missing'

/**
 * Synchronous filesystem check used by {@link defineAgent}: absolute path in,
 * entry kind out. Injected so `/agent` stays Workers-safe; Node's default is
 * `nodeFsCheck` from `/agent/node`.
 * @experimental
 */
export type AgentFsCheck = (absolutePath: string) => AgentPathKind

/** The kind of one manifest problem. @experimental */
export type AgentManifestProblem = 'blank' | 'invalid' | 'missing' | 'not-directory' | 'not-file' | 'unknown-surface' | 'weights-out-of-range'

/** One problem found in a manifest: the field (dotted path), the problem, and a message with the fix. @experimental */
export interface AgentManifestIssue {
  field: string
  problem: AgentManifestProblem
  message: string
  /** The absolute path checked, for surface problems. */
  path?: string
}

/**
 * Thrown by {@link defineAgent} with every problem of the manifest at once.
 * Code `validation`.
 * @experimental
 */
export class AgentManifestError extends AgentRuntimeError {
  readonly agentId: string
  readonly issues: readonly AgentManifestIssue[]
  constructor(message: string, agentId: string, issues: readonly AgentManifestIssue[]) {
    super('validation', message)
    this.agentId = agentId
    this.issues = issues
  }
}

/** Options of {@link defineAgent}. @experimental */
export interface DefineAgentOptions {
  /** Filesystem check for surfaces. Required on this entry; `/agent/node` defaults it. */
  fsCheck?: AgentFsCheck
}

const fn = (what: string) => z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', { message: `expected ${what} to be a function` })

const manifestSchema = z.object({
  id: z.string({ message: 'expected a string' }),
  repoRoot: z.string({ message: 'expected a string' }),
  surfaces: z.record(z.string(), z.string({ message: 'expected a path string' }), { message: 'expected an object of surface paths' }),
  rubric: z.object({
    dimensions: z
      .array(
        z.object({
          id: z.string().min(1, 'expected a non-blank dimension id'),
          weight: z.number({ message: 'expected a finite number' }).finite().min(0, 'expected a weight >= 0'),
          score: fn('score'),
          label: z.string().optional(),
        }),
      )
      .min(1, 'expected at least one rubric dimension'),
    judges: z.array(z.unknown()).optional(),
  }),
  runtime: z.object({ act: fn('runtime.act') }),
  personas: fn('personas'),
  analystKinds: z.array(z.string().min(1, 'expected a non-blank analyst kind')),
  analyst: z.object({
    model: z.string().min(1, 'expected a model id, e.g. "gpt-4o-mini"'),
    budgetUsd: z.number().finite().min(0, 'expected a budget >= 0').optional(),
    backend: z.custom<object>((v) => typeof v === 'object' && v !== null && typeof (v as { stream?: unknown }).stream === 'function', {
      message: 'expected an AgentExecutionBackend (an object with stream())',
    }).optional(),
  }),
})

const WEIGHT_MIN = 0.5
const WEIGHT_MAX = 1.5

function isAbsolute(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\')
}

function joinPath(root: string, rel: string): string {
  if (isAbsolute(rel)) return rel
  const cleanRel = rel.replace(/^\.\/+/, '')
  return `${root.replace(/[\\/]+$/, '')}/${cleanRel}`
}

function checkSurfaces(
  repoRoot: string,
  surfaces: Record<string, string>,
  fsCheck: AgentFsCheck,
  issues: AgentManifestIssue[],
): Partial<Record<AgentSurfaceName, string>> {
  const paths: Partial<Record<AgentSurfaceName, string>> = {}
  const known = new Set<string>([...Object.keys(REQUIRED_AGENT_SURFACES), ...OPTIONAL_AGENT_SURFACES])
  for (const name of Object.keys(surfaces)) {
    if (!known.has(name)) {
      issues.push({ field: `surfaces.${name}`, problem: 'unknown-surface', message: `surfaces.${name}: unknown surface; use one of ${[...known].join(', ')}` })
    }
  }
  for (const [name, kind] of Object.entries(REQUIRED_AGENT_SURFACES)) {
    const rel = surfaces[name]
    if (rel === undefined || rel.trim() === '') {
      issues.push({ field: `surfaces.${name}`, problem: 'missing', message: `surfaces.${name}: required ${kind} surface is not named; add its path relative to repoRoot` })
      continue
    }
    const abs = joinPath(repoRoot, rel)
    paths[name as AgentSurfaceName] = abs
    const found = fsCheck(abs)
    if (found === 'missing') issues.push({ field: `surfaces.${name}`, problem: 'missing', path: abs, message: `surfaces.${name}: ${abs} does not exist; create the ${kind} or fix the path` })
    else if (kind === 'directory' && found !== 'directory')
      issues.push({ field: `surfaces.${name}`, problem: 'not-directory', path: abs, message: `surfaces.${name}: ${abs} is a file; point it at a directory` })
    else if (kind === 'file' && found !== 'file')
      issues.push({ field: `surfaces.${name}`, problem: 'not-file', path: abs, message: `surfaces.${name}: ${abs} is a directory; point it at a file` })
  }
  for (const name of OPTIONAL_AGENT_SURFACES) {
    const rel = surfaces[name]
    if (rel === undefined) continue
    const abs = joinPath(repoRoot, rel)
    paths[name] = abs
    if (fsCheck(abs) === 'missing') issues.push({ field: `surfaces.${name}`, problem: 'missing', path: abs, message: `surfaces.${name}: ${abs} does not exist; create it or drop the surface` })
  }
  return paths
}

/**
 * Validates an agent manifest synchronously and returns it with resolved
 * surface paths. Every problem (shape, blank `id`/`repoRoot`, missing or
 * wrong-kind surfaces, rubric weights summing outside [0.5, 1.5]) is
 * collected into one {@link AgentManifestError}.
 * @experimental
 * @example
 * const agent = defineAgent({ id: 'support', repoRoot: '/repo', surfaces, rubric, runtime: { act }, personas: () => personas, analystKinds: ['failure-clusters'], analyst: { model: 'gpt-4o-mini' } }, { fsCheck })
 */
export function defineAgent<Persona extends AgentPersona, Output>(
  manifest: AgentManifest<Persona, Output>,
  options: DefineAgentOptions = {},
): AgentDefinition<Persona, Output> {
  const { fsCheck } = options
  if (typeof fsCheck !== 'function') {
    throw new ConfigError(
      "defineAgent: no filesystem check; pass { fsCheck } or import defineAgent from '@tangle-network/agent-runtime/agent/node' (Node default).",
    )
  }
  const raw = (manifest ?? {}) as Partial<AgentManifest<Persona, Output>>
  const agentId = typeof raw.id === 'string' ? raw.id : ''
  const issues: AgentManifestIssue[] = []
  const parsed = manifestSchema.safeParse(raw)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.map(String).join('.') || '(manifest)'
      issues.push({ field, problem: 'invalid', message: `${field}: ${issue.message}` })
    }
  }
  if (typeof raw.id === 'string' && raw.id.trim() === '') issues.push({ field: 'id', problem: 'blank', message: 'id: is blank; give the agent a stable id, e.g. "support-bot"' })
  const repoRootOk = typeof raw.repoRoot === 'string' && raw.repoRoot.trim() !== ''
  if (typeof raw.repoRoot === 'string' && !repoRootOk) issues.push({ field: 'repoRoot', problem: 'blank', message: 'repoRoot: is blank; set it to the agent repository root' })
  let surfacePaths: Partial<Record<AgentSurfaceName, string>> = {}
  if (repoRootOk && raw.surfaces && typeof raw.surfaces === 'object') surfacePaths = checkSurfaces(raw.repoRoot as string, raw.surfaces as Record<string, string>, fsCheck, issues)
  const dims = raw.rubric?.dimensions
  if (Array.isArray(dims) && dims.length > 0 && dims.every((d) => typeof d?.weight === 'number' && Number.isFinite(d.weight))) {
    const sum = dims.reduce((s, d) => s + d.weight, 0)
    if (sum < WEIGHT_MIN || sum > WEIGHT_MAX) {
      issues.push({
        field: 'rubric.dimensions',
        problem: 'weights-out-of-range',
        message: `rubric.dimensions: weights sum to ${Number(sum.toFixed(6))}, outside [${WEIGHT_MIN}, ${WEIGHT_MAX}]; scale them to sum to about 1`,
      })
    }
  }
  if (issues.length > 0) {
    const head = `defineAgent(${agentId || '<no id>'}): ${issues.length} problem${issues.length === 1 ? '' : 's'} in the manifest`
    throw new AgentManifestError(`${head}:\n${issues.map((i) => `  - ${i.message}`).join('\n')}`, agentId, issues)
  }
  return Object.freeze({ ...manifest, surfacePaths: Object.freeze(surfacePaths) })
}
