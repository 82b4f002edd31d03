import type { LoopSandboxClient, SandboxBox, SandboxCreateOptions } from '@tangle-network/agent-runtime-core'
import { ValidationError } from '@tangle-network/agent-runtime-core'
import { runLoop } from '@tangle-network/agent-runtime-core/loops'
import { DEFAULT_CODER_FANOUT_HARNESSES, multiHarnessCoderFanout } from '@tangle-network/agent-runtime-core/profiles'
import { describe, expect, it } from 'vitest'

function fileDiff(path: string, lines: number): string {
  const added = Array.from({ length: lines }, (_, i) => `+line ${i}`)
  return [`diff --git a/${path} b/${path}`, 'new file mode 100644', '--- /dev/null', `+++ b/${path}`, `@@ -0,0 +1,${lines} @@`, ...added, ''].join('\n')
}

/** A client whose boxes report the patch registered for their backend type and pass every command. */
function clientByBackend(patches: Record<string, string>): LoopSandboxClient & { created: SandboxCreateOptions[] } {
  const created: SandboxCreateOptions[] = []
  return {
    created,
    async create(options = {}) {
      created.push(options)
      const type = options.backend?.type ?? '?'
      const box: SandboxBox = {
        id: `box-${created.length}`,
        async *streamPrompt() {
          yield { type: 'result', data: { finalText: `${type} done` } }
        },
        exec: async () => ({ exitCode: 0, stdout: 'ok', stderr: '' }),
        git: { diff: async () => ({ raw: patches[type] ?? '', additions: 0, deletions: 0 }) },
      }
      return box
    },
  }
}

describe('multiHarnessCoderFanout', () => {
  it('defaults to one candidate per default harness', () => {
    const fanout = multiHarnessCoderFanout({ task: { goal: 'g', repoRoot: '/r' } })
    expect(DEFAULT_CODER_FANOUT_HARNESSES).toEqual(['claude-code', 'codex', 'opencode/zai-coding-plan/glm-5.1'])
    expect(fanout.agentRuns.map((r) => r.name)).toEqual(['coder:claude-code', 'coder:codex', 'coder:opencode/zai-coding-plan/glm-5.1'])
    expect(fanout.agentRuns.map((r) => r.profile.metadata?.backendType)).toEqual(['claude-code', 'codex', 'opencode'])
    expect(fanout.driver.name).toBe('fanout-vote')
    expect(fanout.driver.plan(fanout.task, [])).toHaveLength(3)
  })

  it('uses the first n harnesses when n is smaller, and names repeated harnesses apart', () => {
    expect(multiHarnessCoderFanout({ task: { goal: 'g', repoRoot: '/r' }, n: 2 }).agentRuns.map((r) => r.name)).toEqual(['coder:claude-code', 'coder:codex'])
    const repeated = multiHarnessCoderFanout({ task: { goal: 'g', repoRoot: '/r' }, harnesses: ['codex', 'codex'] })
    expect(repeated.agentRuns.map((r) => r.name)).toEqual(['coder:codex', 'coder:codex#2'])
    const more = multiHarnessCoderFanout({ task: { goal: 'g', repoRoot: '/r' }, harnesses: ['codex'], n: 3 })
    expect(more.agentRuns).toHaveLength(1)
    expect(more.driver.plan(more.task, [])).toHaveLength(3)
  })

  it("honours the task's forbiddenPaths and maxDiffLines in fan-out (the reference ignored them)", async () => {
    const fanout = multiHarnessCoderFanout({
      task: { goal: 'g', repoRoot: '/r', testCmd: 'true', forbiddenPaths: ['infra'], maxDiffLines: 20 },
      harnesses: ['claude-code', 'codex', 'amp', 'opencode'],
    })
    const client = clientByBackend({
      'claude-code': fileDiff('.env', 1),
      codex: fileDiff('infra/main.tf', 2),
      amp: fileDiff('src/huge.js', 21),
      opencode: fileDiff('src/fix.js', 3),
    })
    const result = await runLoop({
      driver: fanout.driver,
      agentRuns: fanout.agentRuns,
      output: fanout.output,
      validator: fanout.validator,
      selectWinner: fanout.driver.selectWinner,
      task: fanout.task,
      maxIterations: 4,
      ctx: { sandboxClient: client },
    })
    expect(client.created.map((o) => o.git?.url)).toEqual(['/r', '/r', '/r', '/r'])
    const notes = result.iterations.map((it) => [it.agentRunName, it.verdict?.valid, it.verdict?.notes])
    expect(notes).toEqual([
      ['coder:claude-code', false, 'secret-path floor: .env'],
      ['coder:codex', false, 'forbidden path: infra/main.tf'],
      ['coder:amp', false, 'diff too large: 21 changed lines > maxDiffLines 20'],
      ['coder:opencode', true, 'passed: tests, 3 changed lines of 20 allowed; not configured: typecheck'],
    ])
    expect(result.decision).toBe('pick-winner')
    expect(result.winner?.agentRunName).toBe('coder:opencode')
    expect(result.winner?.output.diffStats).toEqual({ filesChanged: 1, insertions: 3, deletions: 0 })
  })

  it('runs all n candidates when spread into runLoop, even above the default iteration cap of 10', async () => {
    const fanout = multiHarnessCoderFanout({ task: { goal: 'g', repoRoot: '/r', testCmd: 'true' }, harnesses: ['claude-code', 'codex'], n: 12 })
    const client = clientByBackend({ 'claude-code': fileDiff('src/a.js', 1), codex: fileDiff('src/b.js', 2) })
    const result = await runLoop({ ...fanout, ctx: { sandboxClient: client } })
    expect(result.iterations).toHaveLength(12)
    expect(fanout.maxIterations).toBe(12)
    expect(result.iterations.map((it) => it.agentRunName).slice(0, 4)).toEqual(['coder:claude-code', 'coder:codex', 'coder:claude-code', 'coder:codex'])
    // The driver's vote picks the winner without the caller passing selectWinner.
    expect(result.decision).toBe('pick-winner')
    expect(result.winner?.iterationIndex).toBe(0)
  })

  it('throws ValidationError on bad harnesses, n or task', () => {
    const task = { goal: 'g', repoRoot: '/r' }
    const cases: [() => unknown, string][] = [
      [() => multiHarnessCoderFanout({ task, harnesses: [] }), 'multiHarnessCoderFanout: harnesses must name at least one harness, got []'],
      [() => multiHarnessCoderFanout({ task, harnesses: [''] }), 'harness must be a non-empty string'],
      [() => multiHarnessCoderFanout({ task, n: 0 }), 'multiHarnessCoderFanout: n must be an integer >= 1, got 0'],
      [() => multiHarnessCoderFanout({ task: { goal: 'g', repoRoot: '' } }), 'multiHarnessCoderFanout: task.repoRoot must be a non-empty path'],
      [() => multiHarnessCoderFanout(null as never), 'multiHarnessCoderFanout: options must be an object'],
    ]
    for (const [run, message] of cases) {
      expect(run).toThrow(ValidationError)
      expect(run).toThrow(message)
    }
  })
})
