/**
 * The pieces the demo runs on: a tiny repository whose test fails, two
 * scripted coding agents, and a structural fleet of "machines". Each machine
 * is a git worktree of the local sandbox standing in for a pre-provisioned
 * machine of a real fleet; it runs whichever agent the prompt's worker profile
 * names, the way a fleet machine applies the profile it is sent.
 */
import type { FleetHandle, SandboxBox } from '@tangle-network/agent-runtime'
import {
  initGitRepo,
  type LocalHarness,
  type LocalSandboxClient,
  type LocalSandboxBox,
  scriptedHarness,
  usageEvent,
} from '@tangle-network/agent-runtime/sandbox-local'

const SUM_BUGGY = 'export const sum = (a, b) => a - b\n'
const SUM_FIXED = 'export const sum = (a, b) => a + b\n'
const TEST = [
  "import { sum } from './sum.mjs'",
  "if (sum(2, 3) !== 5) { console.log('FAIL sum(2, 3) = ' + sum(2, 3)); process.exit(1) }",
  "console.log('ok')",
  '',
].join('\n')

/** Creates the sample repository: `node test.mjs` fails because sum() subtracts. */
export async function createSampleRepo(dir: string): Promise<string> {
  return (await initGitRepo(dir, { 'sum.mjs': SUM_BUGGY, 'test.mjs': TEST }, { message: 'sum with a bug' })).dir
}

/** The two coding agents, by harness name. */
export const agents: Record<string, LocalHarness> = {
  // Fixes the bug and leaves five lines of notes behind (a bigger diff).
  'fix-noisy': scriptedHarness(
    async ({ files }) => {
      await files.write('sum.mjs', `${SUM_FIXED}${Array.from({ length: 5 }, (_, i) => `// note ${i}`).join('\n')}\n`)
      return ['fixed, with notes', usageEvent({ inputTokens: 900, outputTokens: 120, costUsd: 0.004 })]
    },
    { name: 'fix-noisy' },
  ),
  // Fixes the bug in one line.
  'fix-small': scriptedHarness(
    async ({ files }) => {
      await files.write('sum.mjs', SUM_FIXED)
      return ['fixed', usageEvent({ inputTokens: 800, outputTokens: 40, costUsd: 0.003 })]
    },
    { name: 'fix-small' },
  ),
}

/** A machine's harness: runs the agent named by the prompt's worker profile (`context.backendType`). */
const machineHarness: LocalHarness = {
  name: 'fleet-machine',
  run(input) {
    const wanted = input.options.context?.backendType
    const agent = typeof wanted === 'string' ? agents[wanted] : undefined
    if (!agent) throw new Error(`this machine has no agent ${JSON.stringify(wanted)}; it has ${Object.keys(agents).join(', ')}`)
    return agent.run(input)
  },
}

/** Harnesses of the demo's local sandbox client: the agents, plus the fleet-machine router. */
export const harnesses: Record<string, LocalHarness> = { ...agents, 'fleet-machine': machineHarness }

/**
 * A structural fleet: `{fleetId, ids, sandbox(machineId)}` is all the fleet
 * executor needs. Every machine is provisioned up front (a worktree of the
 * repository) and lives until the demo deletes it.
 */
export async function provisionFleet(
  client: LocalSandboxClient,
  fleetId: string,
  machineIds: readonly string[],
  repoRoot: string,
): Promise<{ fleet: FleetHandle; machines: Record<string, LocalSandboxBox> }> {
  const machines: Record<string, LocalSandboxBox> = {}
  for (const id of machineIds) machines[id] = await client.create({ git: { url: repoRoot }, backend: { type: 'fleet-machine' }, name: id })
  const fleet: FleetHandle = {
    fleetId,
    ids: [...machineIds],
    sandbox: async (machineId: string): Promise<SandboxBox> => {
      const box = machines[machineId]
      if (!box) throw new Error(`fleet ${fleetId} has no machine ${machineId}`)
      return box
    },
  }
  return { fleet, machines }
}
