/**
 * Executors for delegations: where iterations run. The engine's executors are
 * re-exported as they are; `detectExecutor` here falls back to the process
 * environment, which the engine never reads on its own.
 */
import {
  type DetectExecutorOptions,
  detectExecutor as detectExecutorFromEnv,
  type LoopExecutor,
} from '@tangle-network/agent-runtime-core/loops'

export {
  assertFleetHandle,
  createFleetWorkspaceExecutor,
  createSiblingSandboxExecutor,
  type DetectExecutorOptions,
  type FleetMachineSelector,
  type FleetWorkspaceExecutorOptions,
  type LoopExecutor,
} from '@tangle-network/agent-runtime-core/loops'

/** The process environment where there is one (Node, Bun, Deno with env access); empty elsewhere. */
function processEnv(): Record<string, string | undefined> {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
  return proc?.env ?? {}
}

/**
 * Chooses where delegations run: a fleet executor when `TANGLE_FLEET_ID` is
 * set (resolved through `sandboxClient.fleets.get` or `resolveFleet`, its
 * shape validated, `TANGLE_FLEET_EXCLUDE_MACHINES` skipped), else sibling
 * sandboxes of `sandboxClient`. Reads `env`, or the process environment when
 * no `env` is given.
 * @experimental
 * @example
 * const executor = await detectExecutor({ sandboxClient })
 * const coder = createDefaultCoderDelegate({ executor })
 */
export function detectExecutor(options: DetectExecutorOptions): Promise<LoopExecutor> {
  if (!options || typeof options !== 'object') return detectExecutorFromEnv(options)
  return detectExecutorFromEnv({ ...options, env: options.env ?? processEnv() })
}
