import { describe, expect, it } from 'vitest'
import type { FleetHandle, LoopTraceEvent, SandboxEvent } from '@tangle-network/agent-runtime-core'
import {
  type AgentRunSpec,
  createFanoutVoteDriver,
  createFleetWorkspaceExecutor,
  createSiblingSandboxExecutor,
  detectExecutor,
  runLoop,
} from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'

const spec: AgentRunSpec<string> = { name: 'coder', profile: { name: 'coder', metadata: { backendType: 'claude-code' } }, taskToPrompt: (t) => t }
const fanout = (n: number, sandboxClient: Parameters<typeof runLoop>[0]['ctx']['sandboxClient'], events: LoopTraceEvent[] = []) =>
  runLoop({
    driver: createFanoutVoteDriver<string, number>({ n }),
    agentRun: spec,
    output: { parse: (e: SandboxEvent[]) => e.length },
    validator: { validate: () => ({ valid: true, score: 1 }) },
    task: 'x',
    ctx: { sandboxClient, traceEmitter: { emit: (e) => void events.push(e) } },
    maxConcurrency: 1,
  })

describe('createSiblingSandboxExecutor', () => {
  it('gives each iteration a fresh box, reports sibling placement and lets the loop delete it', async () => {
    const client = createScriptedSandboxClient()
    const executor = createSiblingSandboxExecutor({ client })
    expect(executor.kind).toBe('sibling')
    const events: LoopTraceEvent[] = []
    const result = await fanout(2, executor, events)
    expect(result.iterations.map((it) => it.placement)).toEqual([
      { kind: 'sibling', sandboxId: 'scripted-0' },
      { kind: 'sibling', sandboxId: 'scripted-1' },
    ])
    expect(client.deleted).toEqual(['scripted-0', 'scripted-1'])
    expect(events.filter((e) => e.kind === 'loop.iteration.dispatch').map((e) => e.payload.placement)).toEqual(['sibling', 'sibling'])
  })

  it('requires a client', () => {
    expect(() => createSiblingSandboxExecutor({ client: {} as never })).toThrowError(
      expect.objectContaining({ code: 'validation', message: 'createSiblingSandboxExecutor: `client` with a create() function is required' }),
    )
  })
})

describe('createFleetWorkspaceExecutor', () => {
  const client = () => createScriptedSandboxClient({ fleets: { 'fleet-a': ['m1', 'm2', 'm3'] } })

  it('round-robins over eligible machines, applies the worker profile and never deletes a machine', async () => {
    const sandbox = client()
    const fleet = await sandbox.fleets!.get('fleet-a')
    const executor = createFleetWorkspaceExecutor({ fleet, excludeMachineIds: ['m2'] })
    const events: LoopTraceEvent[] = []
    const result = await fanout(4, executor, events)
    expect(result.iterations.map((it) => it.placement?.machineId)).toEqual(['m1', 'm3', 'm1', 'm3'])
    const dispatch = events.filter((e) => e.kind === 'loop.iteration.dispatch').map((e) => e.payload)
    expect(dispatch[1]).toEqual({ iterationIndex: 1, placement: 'fleet', fleetId: 'fleet-a', machineId: 'm3', sandboxId: 'fleet-a-m3' })
    expect(sandbox.deleteCalls).toEqual([])
    expect(sandbox.prompts.map((p) => p.options?.context)).toEqual(
      Array.from({ length: 4 }, () => ({ profile: spec.profile, backendType: 'claude-code' })),
    )
  })

  it('throws a ConfigError naming the exclusions when no machine is eligible', async () => {
    const fleet = await client().fleets!.get('fleet-a')
    const executor = createFleetWorkspaceExecutor({ fleet, excludeMachineIds: ['m1', 'm2', 'm3'] })
    const err = await executor.create({}).catch((e) => e)
    expect(err).toMatchObject({ name: 'ConfigError', code: 'config' })
    expect(err.message).toBe(
      'fleet fleet-a: no eligible machine among [m1, m2, m3] (excluded: m1, m2, m3); add machines or shrink excludeMachineIds',
    )
    const result = await fanout(1, executor)
    expect(result.iterations[0].error).toContain('no eligible machine')
    expect(result.winner).toBeUndefined()
  })

  it('uses a custom selector and rejects a machine it did not offer', async () => {
    const fleet = await client().fleets!.get('fleet-a')
    const picks: string[][] = []
    const executor = createFleetWorkspaceExecutor({
      fleet,
      selectMachine: (eligible) => {
        picks.push([...eligible])
        return eligible[eligible.length - 1]
      },
    })
    const box = await executor.create({})
    expect(executor.describePlacement(box)).toEqual({ kind: 'fleet', fleetId: 'fleet-a', machineId: 'm3', sandboxId: 'fleet-a-m3' })
    expect(executor.ownsBox(box)).toBe(false)
    expect(picks).toEqual([['m1', 'm2', 'm3']])
    const bad = createFleetWorkspaceExecutor({ fleet, selectMachine: () => 'm9' })
    await expect(bad.create({})).rejects.toMatchObject({
      code: 'config',
      message: 'fleet fleet-a: selectMachine returned "m9", which is not one of [m1, m2, m3]',
    })
  })

  it('validates the fleet handle', () => {
    expect(() => createFleetWorkspaceExecutor({ fleet: { fleetId: 'f', ids: 'm1', sandbox: async () => ({}) } as never })).toThrowError(
      expect.objectContaining({ code: 'config', message: 'fleet handle: handle.ids must be an array of machine id strings, got "m1"' }),
    )
  })
})

describe('detectExecutor', () => {
  it('uses sibling sandboxes without TANGLE_FLEET_ID', async () => {
    const executor = await detectExecutor({ sandboxClient: createScriptedSandboxClient(), env: { TANGLE_FLEET_ID: '  ' } })
    expect(executor.kind).toBe('sibling')
  })

  it('resolves the fleet through the client and applies env exclusions', async () => {
    const sandboxClient = createScriptedSandboxClient({ fleets: { 'fleet-a': ['m1', 'm2', 'm3'] } })
    const executor = await detectExecutor({
      sandboxClient,
      env: { TANGLE_FLEET_ID: 'fleet-a', TANGLE_FLEET_EXCLUDE_MACHINES: 'm1, m3' },
    })
    expect(executor.kind).toBe('fleet')
    const box = await executor.create({})
    expect(executor.describePlacement(box)).toMatchObject({ fleetId: 'fleet-a', machineId: 'm2' })
  })

  it('throws ConfigError when the fleet cannot be resolved or has the wrong shape', async () => {
    const sandboxClient = createScriptedSandboxClient({ fleets: { 'fleet-a': ['m1'] } })
    await expect(detectExecutor({ sandboxClient, env: { TANGLE_FLEET_ID: 'fleet-x' } })).rejects.toMatchObject({
      code: 'config',
      message: 'TANGLE_FLEET_ID=fleet-x: resolving the fleet failed: scripted sandbox: no fleet fleet-x; known fleets: fleet-a',
    })
    await expect(detectExecutor({ sandboxClient: createScriptedSandboxClient(), env: { TANGLE_FLEET_ID: 'fleet-a' } })).rejects.toMatchObject({
      code: 'config',
      message: 'TANGLE_FLEET_ID=fleet-a is set but the sandbox client has no fleets.get; pass resolveFleet or unset TANGLE_FLEET_ID',
    })
    const wrongId = async (): Promise<FleetHandle> => ({ fleetId: 'other', ids: ['m1'], sandbox: async () => ({ id: 'b', streamPrompt: () => [] as never }) })
    await expect(detectExecutor({ sandboxClient, env: { TANGLE_FLEET_ID: 'fleet-a' }, resolveFleet: wrongId })).rejects.toMatchObject({
      code: 'config',
      message: 'fleet fleet-a: the resolved handle is for fleet other; check TANGLE_FLEET_ID or the fleet resolver',
    })
    const noSandbox = async () => ({ fleetId: 'fleet-a', ids: ['m1'] }) as never
    await expect(detectExecutor({ sandboxClient, env: { TANGLE_FLEET_ID: 'fleet-a' }, resolveFleet: noSandbox })).rejects.toMatchObject({
      code: 'config',
      message: 'fleet fleet-a: handle.sandbox must be a function (machineId) => box',
    })
  })
})
