/**
 * The delegation tools as OpenAI Chat Completions `tools[]` entries, so a
 * model behind `createOpenAICompatibleBackend` can call them and the caller
 * dispatches the calls to the MCP server.
 */
import { ValidationError } from '@tangle-network/agent-runtime-core'
import { z } from 'zod'
import { DELEGATION_TOOL_SPECS, type DelegationToolName } from './tool-specs.js'

/** One OpenAI function tool. @experimental */
export interface OpenAIFunctionTool {
  type: 'function'
  function: { name: string; description: string; parameters: Record<string, unknown> }
}

function project(name: DelegationToolName): OpenAIFunctionTool {
  const spec = DELEGATION_TOOL_SPECS.find((s) => s.name === name)!
  const { $schema: _drop, ...parameters } = z.toJSONSchema(spec.input, { io: 'input' }) as Record<string, unknown>
  return { type: 'function', function: { name: spec.name, description: spec.description, parameters } }
}

/**
 * Every delegation tool (all six) as OpenAI `tools[]` entries, with the same
 * JSON Schemas `tools/list` serves (`additionalProperties: false`).
 * @experimental
 * @example
 * const backend = createOpenAICompatibleBackend({ apiKey, model, tools: mcpToolsForRuntimeMcp() })
 */
export function mcpToolsForRuntimeMcp(): OpenAIFunctionTool[] {
  return DELEGATION_TOOL_SPECS.map((s) => project(s.name))
}

/**
 * Some delegation tools as OpenAI `tools[]` entries, in the order named.
 * Throws `ValidationError` naming an unknown tool.
 * @experimental
 * @example
 * const tools = mcpToolsForRuntimeMcpSubset(['delegate_code', 'delegation_status'])
 */
export function mcpToolsForRuntimeMcpSubset(names: readonly DelegationToolName[]): OpenAIFunctionTool[] {
  const known = DELEGATION_TOOL_SPECS.map((s) => s.name as string)
  return names.map((name) => {
    if (!known.includes(name)) {
      throw new ValidationError(`mcpToolsForRuntimeMcpSubset: unknown tool ${JSON.stringify(name)}; expected one of ${known.join(', ')}`)
    }
    return project(name)
  })
}
