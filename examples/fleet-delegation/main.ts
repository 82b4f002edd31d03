/**
 * Where delegated coder iterations run: sibling sandboxes, or the machines of
 * the caller's fleet. `detectExecutor` flips on `TANGLE_FLEET_ID` (the bin does
 * the same), and `createFleetWorkspaceExecutor` pins a fleet explicitly. The
 * fleet here is structural (`{fleetId, ids, sandbox(machineId)}`) over the
 * embedded local sandbox, so it needs no key and no network.
 *
 *   pnpm --filter @examples/fleet-delegation start
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { LoopTraceEvent } from '@tangle-network/agent-runtime'
import {
  createDefaultCoderDelegate,
  createFleetWorkspaceExecutor,
  type DefaultCoderDelegateOutput,
  detectExecutor,
  type LoopExecutor,
} from '@tangle-network/agent-runtime/mcp'
import { createLocalSandboxClient } from '@tangle-network/agent-runtime/sandbox-local'
import { createSampleRepo, harnesses, provisionFleet } from './agents.js'

const print = (line = ''): void => {
  process.stdout.write(`${line}\n`)
}

const FLEET_ID = 'fleet-demo'
const MACHINES = ['coordinator', 'worker-1', 'worker-2']

/** Runs one two-candidate delegation on `executor` and prints where each candidate ran. */
async function delegate(executor: LoopExecutor, repoRoot: string): Promise<{ out: DefaultCoderDelegateOutput; placements: string[] }> {
  const placements: string[] = []
  const coder = createDefaultCoderDelegate({
    executor,
    fanoutHarnesses: ['fix-noisy', 'fix-small'],
    // One candidate at a time keeps the printout in a stable order.
    maxConcurrency: 1,
    traceEmitter: {
      emit(event: LoopTraceEvent) {
        if (event.kind !== 'loop.iteration.dispatch') return
        const p = event.payload
        const where = p.placement === 'fleet' ? `fleet ${p.fleetId} machine ${p.machineId}` : `sibling sandbox ${p.sandboxId}`
        placements.push(`#${p.iterationIndex} → ${where}`)
      },
    },
  })
  const out = await coder(
    { goal: 'Make node test.mjs pass', repoRoot, variants: 2, config: { testCmd: 'node test.mjs', typecheckCmd: 'node --check sum.mjs' } },
    { signal: new AbortController().signal, report: () => undefined },
  )
  for (const line of placements) print(`   ${line}`)
  print(`   winner #${out.winnerIndex} (${out.harness}), score ${out.score.toFixed(3)}, ${out.candidates} candidates, $${out.costUsd.toFixed(4)}`)
  return { out, placements }
}

async function main(): Promise<number> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'fleet-delegation-'))
  const boxesRoot = path.join(tmp, 'boxes')
  const local = createLocalSandboxClient({ root: boxesRoot, harnesses })
  try {
    const repoRoot = await createSampleRepo(path.join(tmp, 'repo'))
    const { fleet, machines } = await provisionFleet(local, FLEET_ID, MACHINES, repoRoot)
    // The client the bin would hold: sibling boxes from create(), fleets from fleets.get().
    const sandboxClient = { create: local.create.bind(local), fleets: { get: async (id: string) => (id === FLEET_ID ? fleet : Promise.reject(new Error(`no fleet ${id}`))) } }
    print(`sample repository: ${repoRoot} (node test.mjs fails: sum() subtracts)`)
    print(`fleet ${FLEET_ID}: machines ${MACHINES.join(', ')} (each a git worktree standing in for a shared-workspace machine)`)
    print()

    // detectExecutor reads the process environment when given no `env`, as the bin does.
    delete process.env.TANGLE_FLEET_ID
    print('1) TANGLE_FLEET_ID unset')
    const sibling = await detectExecutor({ sandboxClient })
    print(`   detectExecutor → ${sibling.kind}`)
    const first = await delegate(sibling, repoRoot)
    // Only the fleet's machines remain under the sandbox root: each sibling box was deleted after its iteration.
    const siblingsDeleted = (await readdir(boxesRoot)).length === MACHINES.length
    print(`   the sibling sandboxes were deleted after their iteration: ${siblingsDeleted ? 'yes' : 'no'}`)
    print()

    print(`2) TANGLE_FLEET_ID=${FLEET_ID} TANGLE_FLEET_EXCLUDE_MACHINES=coordinator`)
    // What a parent sandbox's profile injects into the MCP server's environment.
    process.env.TANGLE_FLEET_ID = FLEET_ID
    process.env.TANGLE_FLEET_EXCLUDE_MACHINES = 'coordinator'
    const onFleet = await detectExecutor({ sandboxClient })
    print(`   detectExecutor → ${onFleet.kind}`)
    const second = await delegate(onFleet, repoRoot)
    const winnerMachine = second.placements[second.out.winnerIndex]?.split(' machine ')[1]
    const inPlace = winnerMachine ? await machines[winnerMachine]?.read('sum.mjs') : undefined
    print(`   the winning change is already in place on ${winnerMachine}: sum.mjs reads "${inPlace?.split('\n')[0]}"`)
    print()

    print("3) pinned: createFleetWorkspaceExecutor({ fleet, excludeMachineIds: ['coordinator', 'worker-1'] })")
    const pinned = createFleetWorkspaceExecutor({ fleet, excludeMachineIds: ['coordinator', 'worker-1'] })
    const third = await delegate(pinned, repoRoot)
    print()

    print('winning patch (run 2):')
    print(second.out.output.patch.trimEnd())
    print()

    const expected =
      sibling.kind === 'sibling' &&
      siblingsDeleted &&
      first.placements.every((p) => p.includes('sibling sandbox')) &&
      onFleet.kind === 'fleet' &&
      second.placements.join('|') === `#0 → fleet ${FLEET_ID} machine worker-1|#1 → fleet ${FLEET_ID} machine worker-2` &&
      second.out.harness === 'fix-small' &&
      third.placements.every((p) => p.endsWith('machine worker-2')) &&
      !second.placements.some((p) => p.includes('coordinator'))
    print(expected ? 'outcome: as expected (sibling without TANGLE_FLEET_ID, fleet machines with it, the coordinator never used)' : 'outcome: UNEXPECTED')
    return expected ? 0 : 1
  } finally {
    await local.deleteAll()
    await rm(tmp, { recursive: true, force: true })
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`fleet-delegation failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  },
)
