/**
 * `--config` of the bench's `agent-runtime-worker` processes: a coder
 * delegate over the instant scripted sandbox (one real `runLoop` iteration,
 * no work inside it), so the numbers are the queue's and the lease's cost.
 */
import { type Driver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import { createScriptedSandboxClient } from '@tangle-network/agent-runtime-core/testing'
import type { RunWorkerOptions } from '@tangle-network/agent-runtime-worker'

const sandbox = createScriptedSandboxClient({ respond: () => [{ type: 'result', data: { finalText: 'patched' } }] })
const once: Driver<{ goal: string }, string, string> = {
  plan: (task, history) => (history.length === 0 ? [task] : []),
  decide: () => 'pick-winner',
}

const options: RunWorkerOptions = {
  coderDelegate: async (args, ctx) => {
    const result = await runLoop({
      driver: once,
      agentRun: { name: 'instant', profile: { name: 'instant' }, taskToPrompt: (t) => t.goal },
      output: { parse: (events) => String((events.at(-1)?.data as { finalText?: string })?.finalText ?? '') },
      validator: { validate: (out) => ({ valid: out === 'patched', score: 1 }) },
      task: { goal: args.goal },
      ctx: { sandboxClient: sandbox, signal: ctx.signal },
      maxIterations: 1,
    })
    return {
      winnerIndex: 0,
      output: { branch: '', patch: result.winner?.output ?? '', testResult: { passed: true, output: '' }, typecheckResult: { passed: true, output: '' }, diffStats: { filesChanged: 0, insertions: 0, deletions: 0 } },
      score: 1,
      candidates: 1,
    }
  },
}

export default options
