import type { LoopPlacement, LoopSandboxClient } from '../../contracts/loop.js'
import type { FleetHandle, SandboxBox, SandboxClient, SandboxCreateOptions, SandboxPromptOptions } from '../../contracts/sandbox.js'
import { ConfigError, createAbortError, errorMessage, ValidationError } from '../../errors.js'

/** A {@link LoopSandboxClient} that always reports placement and box ownership. @experimental */
export interface LoopExecutor extends LoopSandboxClient {
  readonly kind: 'sibling' | 'fleet'
  describePlacement(box: SandboxBox): LoopPlacement
  ownsBox(box: SandboxBox): boolean
}

/**
 * Runs every iteration in a fresh sibling sandbox of `client`; the loop deletes it afterwards.
 * @experimental
 * @example
 * const executor = createSiblingSandboxExecutor({ client: sandboxClient })
 * await runLoop({ ...options, ctx: { sandboxClient: executor } })
 */
export function createSiblingSandboxExecutor(options: { client: Pick<SandboxClient, 'create'> }): LoopExecutor {
  const client = options?.client
  if (!client || typeof client.create !== 'function') {
    throw new ValidationError('createSiblingSandboxExecutor: `client` with a create() function is required')
  }
  return {
    kind: 'sibling',
    create: (createOptions, request) => client.create(createOptions, request),
    describePlacement: (box) => ({ kind: 'sibling', sandboxId: box.id }),
    ownsBox: () => true,
  }
}

/** Picks a machine among the eligible ones; must return one of them. @experimental */
export type FleetMachineSelector = (eligible: readonly string[], ctx: { attempt: number; options?: SandboxCreateOptions }) => string

/** Options of {@link createFleetWorkspaceExecutor}. @experimental */
export interface FleetWorkspaceExecutorOptions {
  fleet: FleetHandle
  /** Default: round-robin over the eligible machines. */
  selectMachine?: FleetMachineSelector
  /** Machines never used (for example the one running the caller). */
  excludeMachineIds?: readonly string[]
}

interface FleetBoxInfo {
  machineId: string
  sandboxId: string
}

/**
 * Validates that a value is a {@link FleetHandle}; throws {@link ConfigError} naming what is wrong.
 * @experimental
 * @example
 * assertFleetHandle(await client.fleets.get('fleet-1'), 'fleet-1')
 */
export function assertFleetHandle(value: unknown, expectedFleetId?: string): asserts value is FleetHandle {
  const v = value as Partial<FleetHandle> | null
  const where = expectedFleetId ? `fleet ${expectedFleetId}` : 'fleet handle'
  if (!v || typeof v !== 'object') throw new ConfigError(`${where}: expected {fleetId, ids, sandbox(machineId)}, got ${String(value)}`)
  if (typeof v.fleetId !== 'string' || v.fleetId.length === 0) throw new ConfigError(`${where}: handle.fleetId must be a non-empty string, got ${JSON.stringify(v.fleetId)}`)
  if (expectedFleetId !== undefined && v.fleetId !== expectedFleetId) {
    throw new ConfigError(`${where}: the resolved handle is for fleet ${v.fleetId}; check TANGLE_FLEET_ID or the fleet resolver`)
  }
  if (!Array.isArray(v.ids) || v.ids.some((id) => typeof id !== 'string' || id.length === 0)) {
    throw new ConfigError(`${where}: handle.ids must be an array of machine id strings, got ${JSON.stringify(v.ids)}`)
  }
  if (typeof v.sandbox !== 'function') throw new ConfigError(`${where}: handle.sandbox must be a function (machineId) => box`)
}

/**
 * Wraps a shared machine's box so each prompt carries the worker profile:
 * a fleet machine is pre-provisioned and ignores per-box create options, so the
 * iteration's `backend.profile` and `backend.type` travel on every
 * `streamPrompt` as `context.profile` / `context.backendType` instead. The
 * wrapper has no `delete`: a shared machine outlives any one loop.
 */
function withWorkerProfile(box: SandboxBox, options: SandboxCreateOptions | undefined): SandboxBox {
  const backend = options?.backend
  const profileContext: Record<string, unknown> = {}
  if (backend?.profile !== undefined) profileContext.profile = backend.profile
  if (backend?.type !== undefined) profileContext.backendType = backend.type
  const wrapped: SandboxBox = {
    id: box.id,
    streamPrompt: (message: string, promptOptions?: SandboxPromptOptions) =>
      box.streamPrompt(message, { ...promptOptions, context: { ...promptOptions?.context, ...profileContext } }),
  }
  if (box.exec) wrapped.exec = box.exec.bind(box)
  if (box.read) wrapped.read = box.read.bind(box)
  if (box.write) wrapped.write = box.write.bind(box)
  if (box.git) wrapped.git = box.git
  if (box.waitFor) wrapped.waitFor = box.waitFor.bind(box)
  if (box.exportTraceBundle) wrapped.exportTraceBundle = box.exportTraceBundle.bind(box)
  return wrapped
}

/**
 * Runs iterations on the machines of a pre-provisioned fleet, round-robin over
 * the machines not in `excludeMachineIds`. The worker profile is applied to
 * every prompt (see the wrapper note above), and `ownsBox` is false so the loop
 * never deletes a shared machine.
 * @experimental
 * @example
 * const fleet = await sandboxClient.fleets!.get('fleet-1')
 * const executor = createFleetWorkspaceExecutor({ fleet, excludeMachineIds: ['m-self'] })
 */
export function createFleetWorkspaceExecutor(options: FleetWorkspaceExecutorOptions): LoopExecutor {
  assertFleetHandle(options?.fleet)
  const fleet = options.fleet
  const excluded = new Set(options.excludeMachineIds ?? [])
  const selectMachine = options.selectMachine
  if (selectMachine !== undefined && typeof selectMachine !== 'function') {
    throw new ValidationError('createFleetWorkspaceExecutor: selectMachine must be a function (eligible, ctx) => machineId')
  }
  const placements = new WeakMap<SandboxBox, FleetBoxInfo>()
  let cursor = 0
  let attempts = 0

  const pick = (createOptions: SandboxCreateOptions | undefined): string => {
    const eligible = fleet.ids.filter((id) => !excluded.has(id))
    if (eligible.length === 0) {
      const exclusions = [...excluded].join(', ') || 'none'
      throw new ConfigError(
        `fleet ${fleet.fleetId}: no eligible machine among [${fleet.ids.join(', ')}] (excluded: ${exclusions}); add machines or shrink excludeMachineIds`,
      )
    }
    const attempt = attempts++
    if (!selectMachine) return eligible[cursor++ % eligible.length]
    const chosen = selectMachine(eligible, { attempt, options: createOptions })
    if (!eligible.includes(chosen)) {
      throw new ConfigError(`fleet ${fleet.fleetId}: selectMachine returned ${JSON.stringify(chosen)}, which is not one of [${eligible.join(', ')}]`)
    }
    return chosen
  }

  return {
    kind: 'fleet',
    async create(createOptions, request) {
      if (request?.signal?.aborted) throw createAbortError('aborted', request.signal.reason)
      const machineId = pick(createOptions)
      const box = await fleet.sandbox(machineId)
      if (!box || typeof box.streamPrompt !== 'function') {
        throw new ConfigError(`fleet ${fleet.fleetId}: sandbox(${machineId}) did not return a box with streamPrompt`)
      }
      const wrapped = withWorkerProfile(box, createOptions)
      placements.set(wrapped, { machineId, sandboxId: box.id })
      return wrapped
    },
    describePlacement(box) {
      const info = placements.get(box)
      return { kind: 'fleet', fleetId: fleet.fleetId, machineId: info?.machineId, sandboxId: info?.sandboxId ?? box.id }
    },
    ownsBox: () => false,
  }
}

/** Options of {@link detectExecutor}. @experimental */
export interface DetectExecutorOptions {
  sandboxClient: SandboxClient
  /** The environment to read (`TANGLE_FLEET_ID`, `TANGLE_FLEET_EXCLUDE_MACHINES`); core never reads `process.env` itself. */
  env?: Record<string, string | undefined>
  /** Resolves a fleet id to its handle; default `sandboxClient.fleets.get`. */
  resolveFleet?: (fleetId: string) => Promise<FleetHandle>
  /** Extra machines to exclude, on top of `TANGLE_FLEET_EXCLUDE_MACHINES` (comma-separated). */
  excludeMachineIds?: readonly string[]
}

/**
 * Chooses where iterations run: a fleet executor when `env.TANGLE_FLEET_ID` is
 * set (the handle is resolved and its shape validated; a mismatch or a failing
 * resolver is a {@link ConfigError}), else a sibling-sandbox executor.
 * @experimental
 * @example
 * const executor = await detectExecutor({ sandboxClient, env: process.env })
 */
export async function detectExecutor(options: DetectExecutorOptions): Promise<LoopExecutor> {
  const client = options?.sandboxClient
  if (!client || typeof client.create !== 'function') throw new ValidationError('detectExecutor: `sandboxClient` with a create() function is required')
  const env = options.env ?? {}
  const fleetId = env.TANGLE_FLEET_ID?.trim()
  if (!fleetId) return createSiblingSandboxExecutor({ client })
  const resolve = options.resolveFleet ?? (client.fleets ? (id: string) => client.fleets!.get(id) : undefined)
  if (!resolve) {
    throw new ConfigError(`TANGLE_FLEET_ID=${fleetId} is set but the sandbox client has no fleets.get; pass resolveFleet or unset TANGLE_FLEET_ID`)
  }
  let handle: unknown
  try {
    handle = await resolve(fleetId)
  } catch (err) {
    throw new ConfigError(`TANGLE_FLEET_ID=${fleetId}: resolving the fleet failed: ${errorMessage(err)}`, { cause: err })
  }
  assertFleetHandle(handle, fleetId)
  const fromEnv = (env.TANGLE_FLEET_EXCLUDE_MACHINES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  return createFleetWorkspaceExecutor({ fleet: handle, excludeMachineIds: [...fromEnv, ...(options.excludeMachineIds ?? [])] })
}
