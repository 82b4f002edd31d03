/**
 * Executors through the `/mcp` entry: sibling and fleet placement, and the
 * `TANGLE_FLEET_ID` flip of detectExecutor, over a structural fleet whose
 * machines are real local-sandbox worktrees.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ConfigError, type FleetHandle, type LoopTraceEvent, type SandboxBox } from '@tangle-network/agent-runtime'
import {
  createDefaultCoderDelegate,
  createFleetWorkspaceExecutor,
  createSiblingSandboxExecutor,
  detectExecutor,
} from '@tangle-network/agent-runtime/mcp'
import { createLocalSandboxClient, type LocalSandboxBox } from '@tangle-network/agent-runtime/sandbox-local'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { boxesLeft, coderHarnesses, createSumRepo, SUM_BUGGY } from './coder-fixtures.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'mcp-executors-'))
let repoRoot = ''
beforeAll(async () => {
  repoRoot = await createSumRepo(path.join(tmp, 'repo'))
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))
afterEach(() => vi.unstubAllEnvs())

/** A fleet of pre-provisioned machines: each a local worktree box running one scripted agent. */
async function structuralFleet(root: string, machines: Record<string, string>) {
  const client = createLocalSandboxClient({ root, harnesses: coderHarnesses() })
  const boxes: Record<string, LocalSandboxBox> = {}
  for (const [id, harness] of Object.entries(machines)) boxes[id] = await client.create({ git: { url: repoRoot }, backend: { type: harness } })
  const requested: string[] = []
  const fleet: FleetHandle = {
    fleetId: 'fleet-1',
    ids: Object.keys(machines),
    sandbox: async (id) => {
      requested.push(id)
      return boxes[id] as SandboxBox
    },
  }
  return { client, boxes, fleet, requested }
}

describe('fleet executor', () => {
  it('runs a coder delegation on the fleet machines round-robin, skipping excluded ones, and never deletes a machine', async () => {
    const root = path.join(tmp, 'fleet-a')
    const { client, boxes, fleet, requested } = await structuralFleet(root, { coordinator: 'nothing', m1: 'fix-noisy', m2: 'fix-small' })
    const executor = createFleetWorkspaceExecutor({ fleet, excludeMachineIds: ['coordinator'] })
    expect(executor.kind).toBe('fleet')
    const events: LoopTraceEvent[] = []
    const coder = createDefaultCoderDelegate({ executor, fanoutHarnesses: ['a', 'b'], traceEmitter: { emit: (e) => void events.push(e) } })
    const out = await coder(
      { goal: 'Make node test.mjs pass', repoRoot, variants: 2, config: { testCmd: 'node test.mjs' } },
      { signal: new AbortController().signal, report: () => undefined },
    )
    expect(requested.sort()).toEqual(['m1', 'm2'])
    // m2 runs the smallest fix and wins; the diff was measured in that machine's own checkout.
    expect(out.output.patch).toContain('+export const sum = (a, b) => a + b')
    expect(out.output.patch).not.toContain('// note')
    const dispatches = events.filter((e) => e.kind === 'loop.iteration.dispatch').map((e) => e.payload)
    expect(dispatches).toHaveLength(2)
    for (const d of dispatches) expect(d).toMatchObject({ placement: 'fleet', fleetId: 'fleet-1' })
    expect(dispatches.map((d) => (d as { machineId?: string }).machineId).sort()).toEqual(['m1', 'm2'])
    expect(dispatches.find((d) => (d as { machineId?: string }).machineId === 'm2')).toMatchObject({ sandboxId: boxes.m2.id })
    // The shared machines are still there, with their work in place.
    expect(boxesLeft(root).sort()).toEqual(Object.values(boxes).map((b) => path.basename(b.workdir)).sort())
    expect(await boxes.m2.read('sum.mjs')).not.toBe(SUM_BUGGY)
    await client.deleteAll()
  }, 60_000)

  it('throws a ConfigError when every machine is excluded, and sibling placement reports the box', async () => {
    const fleet: FleetHandle = { fleetId: 'fleet-2', ids: ['coordinator'], sandbox: async () => ({ id: 'x', streamPrompt: async function* () {} }) }
    const executor = createFleetWorkspaceExecutor({ fleet, excludeMachineIds: ['coordinator'] })
    const err = await executor.create({}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(/fleet fleet-2: no eligible machine among \[coordinator\] \(excluded: coordinator\)/)

    const client = createLocalSandboxClient({ root: path.join(tmp, 'sibling'), harnesses: coderHarnesses() })
    const sibling = createSiblingSandboxExecutor({ client })
    const box = await sibling.create({ backend: { type: 'nothing' } })
    expect(sibling.describePlacement(box)).toEqual({ kind: 'sibling', sandboxId: box.id })
    expect(sibling.ownsBox(box)).toBe(true)
    await client.deleteAll()
  })
})

describe('detectExecutor', () => {
  const fleet: FleetHandle = { fleetId: 'fleet-9', ids: ['coordinator', 'w1'], sandbox: async (id) => ({ id: `box-${id}`, streamPrompt: async function* () {} }) }
  const sandboxClient = {
    create: async () => ({ id: 'sibling-box', streamPrompt: async function* () {} }),
    fleets: { get: async (id: string) => (id === 'fleet-9' ? fleet : Promise.reject(new Error(`fleet ${id} not found`))) },
  }

  it('is sibling without TANGLE_FLEET_ID and fleet with it (excluding TANGLE_FLEET_EXCLUDE_MACHINES)', async () => {
    expect((await detectExecutor({ sandboxClient, env: {} })).kind).toBe('sibling')
    const executor = await detectExecutor({ sandboxClient, env: { TANGLE_FLEET_ID: 'fleet-9', TANGLE_FLEET_EXCLUDE_MACHINES: 'coordinator' } })
    expect(executor.kind).toBe('fleet')
    const box = await executor.create({})
    expect(executor.describePlacement(box)).toEqual({ kind: 'fleet', fleetId: 'fleet-9', machineId: 'w1', sandboxId: 'box-w1' })
    expect(executor.ownsBox(box)).toBe(false)
  })

  it('reads the process environment when no env is given', async () => {
    vi.stubEnv('TANGLE_FLEET_ID', 'fleet-9')
    vi.stubEnv('TANGLE_FLEET_EXCLUDE_MACHINES', 'w1')
    const executor = await detectExecutor({ sandboxClient })
    expect(executor.kind).toBe('fleet')
    expect(executor.describePlacement(await executor.create({}))).toMatchObject({ machineId: 'coordinator' })
    vi.stubEnv('TANGLE_FLEET_ID', '')
    expect((await detectExecutor({ sandboxClient })).kind).toBe('sibling')
    // An explicit env wins over the process environment.
    vi.stubEnv('TANGLE_FLEET_ID', 'fleet-9')
    expect((await detectExecutor({ sandboxClient, env: {} })).kind).toBe('sibling')
  })

  it('fails loud on a fleet that does not resolve, a malformed handle, or a client without fleets', async () => {
    const missing = await detectExecutor({ sandboxClient, env: { TANGLE_FLEET_ID: 'fleet-404' } }).catch((e: unknown) => e)
    expect(missing).toBeInstanceOf(ConfigError)
    expect((missing as Error).message).toBe('TANGLE_FLEET_ID=fleet-404: resolving the fleet failed: fleet fleet-404 not found')

    const malformed = await detectExecutor({
      sandboxClient,
      env: { TANGLE_FLEET_ID: 'fleet-9' },
      resolveFleet: async () => ({ fleetId: 'fleet-9', ids: 'w1', sandbox: () => undefined }) as never,
    }).catch((e: unknown) => e)
    expect(malformed).toBeInstanceOf(ConfigError)
    expect((malformed as Error).message).toMatch(/handle\.ids must be an array/)

    const wrongFleet = await detectExecutor({ sandboxClient, env: { TANGLE_FLEET_ID: 'fleet-9' }, resolveFleet: async () => ({ ...fleet, fleetId: 'fleet-8' }) }).catch(
      (e: unknown) => e,
    )
    expect((wrongFleet as Error).message).toMatch(/resolved handle is for fleet fleet-8/)

    const noFleets = await detectExecutor({ sandboxClient: { create: sandboxClient.create }, env: { TANGLE_FLEET_ID: 'fleet-9' } }).catch((e: unknown) => e)
    expect((noFleets as Error).message).toMatch(/has no fleets\.get/)
  })
})
