/**
 * Node entry of `/agent`: everything of the Workers-safe entry, with
 * `defineAgent` defaulting its filesystem check to {@link nodeFsCheck}.
 */
import { statSync } from 'node:fs'
import { type AgentFsCheck, type DefineAgentOptions, defineAgent as defineAgentWith } from './define-agent.js'
import type { AgentDefinition, AgentManifest, AgentPersona } from './types.js'

export * from './index.js'

/**
 * The Node filesystem check: `statSync` without following errors.
 * @experimental
 * @example
 * nodeFsCheck('/repo/prompts') // 'directory'
 */
export const nodeFsCheck: AgentFsCheck = (absolutePath) => {
  const st = statSync(absolutePath, { throwIfNoEntry: false })
  if (!st) return 'missing'
  return st.isDirectory() ? 'directory' : 'file'
}

/**
 * `defineAgent` with {@link nodeFsCheck} as the default filesystem check.
 * @experimental
 * @example
 * const agent = defineAgent({ id: 'support', repoRoot: process.cwd(), surfaces, rubric, runtime: { act }, personas, analystKinds: [], analyst: { model: 'gpt-4o-mini' } })
 */
export function defineAgent<Persona extends AgentPersona, Output>(
  manifest: AgentManifest<Persona, Output>,
  options: DefineAgentOptions = {},
): AgentDefinition<Persona, Output> {
  return defineAgentWith(manifest, { fsCheck: options.fsCheck ?? nodeFsCheck })
}
