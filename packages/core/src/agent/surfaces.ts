/**
 * The mutable surfaces an agent manifest names: what the analyst loop and the
 * improvement gate are allowed to change, and what kind of filesystem entry each is.
 */

/** Surfaces every agent must name, with the entry kind each must be. @experimental */
export const REQUIRED_AGENT_SURFACES = {
  systemPrompt: 'directory',
  tools: 'directory',
  personas: 'directory',
  knowledge: 'directory',
  rubric: 'file',
} as const

/** Surfaces an agent may name; each may be a file or a directory. @experimental */
export const OPTIONAL_AGENT_SURFACES = ['scaffolding', 'memory', 'rag', 'outputSchema'] as const

/** Name of a required surface. @experimental */
export type RequiredAgentSurface = keyof typeof REQUIRED_AGENT_SURFACES
/** Name of an optional surface. @experimental */
export type OptionalAgentSurface = (typeof OPTIONAL_AGENT_SURFACES)[number]
/** Any surface name a manifest may use. @experimental */
export type AgentSurfaceName = RequiredAgentSurface | OptionalAgentSurface

/** Surface paths, relative to `repoRoot` (or absolute). @experimental */
export type AgentSurfaces = { [K in RequiredAgentSurface]: string } & { [K in OptionalAgentSurface]?: string }

/**
 * Joins a surface-relative subject into a path-safe file path inside the
 * surface: each segment is lowercased, characters outside `[a-z0-9._-]`
 * become `-`, `..`/`.` segments are dropped, and an empty result becomes `untitled`.
 * @experimental
 * @example
 * resolveSubjectPath('agent/knowledge', 'Refund Policy/../EU rules.md') // 'agent/knowledge/refund-policy/eu-rules.md'
 */
export function resolveSubjectPath(surfacePath: string, subject: string): string {
  const segments = subject
    .split(/[\\/]+/)
    .map((s) =>
      s
        .normalize('NFKD')
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/-+/g, '-')
        .replace(/^[-.]+|-+$/g, ''),
    )
    .filter((s) => s.length > 0 && s !== '.' && s !== '..')
  const rel = segments.length > 0 ? segments.join('/') : 'untitled'
  const base = surfacePath.replace(/[\\/]+$/, '')
  return base.length > 0 ? `${base}/${rel}` : rel
}
