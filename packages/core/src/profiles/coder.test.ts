import { ValidationError } from '@tangle-network/agent-runtime-core'
import { buildIterationSandboxOptions } from '@tangle-network/agent-runtime-core/loops'
import { coderProfile, coderPrompt, parseHarness } from '@tangle-network/agent-runtime-core/profiles'
import { describe, expect, it } from 'vitest'

const task = { goal: 'Fix the failing cart total test', repoRoot: '/work/repo', testCmd: 'node test.mjs' }

describe('coderProfile', () => {
  it('builds an agent run whose sandbox is a checkout of repoRoot on the named harness', () => {
    const coder = coderProfile({ task, harness: 'claude-code' })
    expect(coder.agentRun.name).toBe('coder:claude-code')
    expect(coder.agentRun.profile.metadata?.backendType).toBe('claude-code')
    expect(coder.task.maxDiffLines).toBe(400)
    const options = buildIterationSandboxOptions(coder.agentRun, coder.task)
    expect(options.git).toEqual({ url: '/work/repo' })
    expect(options.metadata).toEqual({ profile: 'coder', repoRoot: '/work/repo' })
    expect(options.backend).toEqual({ type: 'claude-code', profile: coder.agentRun.profile })
  })

  it('defaults to the opencode harness and passes a provider/model harness on as backend.model', () => {
    expect(coderProfile({ task }).agentRun.profile.metadata?.backendType).toBe('opencode')
    const coder = coderProfile({ task, harness: 'opencode/zai-coding-plan/glm-5.1', name: 'glm' })
    expect(coder.agentRun.name).toBe('glm')
    const options = buildIterationSandboxOptions(coder.agentRun, coder.task)
    expect(options.backend).toMatchObject({ type: 'opencode', model: { provider: 'zai-coding-plan', model: 'glm-5.1' } })
    expect(coder.agentRun.profile.metadata?.model).toBe('zai-coding-plan/glm-5.1')
  })

  it('prompts with the goal, the context hint under "## Context", and the rules the validator enforces', () => {
    const prompt = coderProfile({ task: { ...task, contextHint: 'The bug is in cart.mjs', forbiddenPaths: ['infra/'], maxDiffLines: 50 } }).agentRun.taskToPrompt({
      ...task,
      contextHint: 'The bug is in cart.mjs',
      forbiddenPaths: ['infra/'],
      maxDiffLines: 50,
    })
    expect(prompt.startsWith('Fix the failing cart total test\n\n## Context\nThe bug is in cart.mjs\n\n## Rules\n')).toBe(true)
    expect(prompt).toContain('make `node test.mjs` pass')
    expect(prompt).toContain('Do not touch: infra/.')
    expect(prompt).toContain('Change at most 50 lines.')
    expect(prompt).toContain('.env')
    expect(coderPrompt({ goal: 'g', repoRoot: '.' })).not.toContain('## Context')
  })

  it.each([
    [{ goal: '', repoRoot: '/r' }, 'coderProfile: task.goal must be a non-empty string, got ""'],
    [{ goal: 'g', repoRoot: '  ' }, 'coderProfile: task.repoRoot must be a non-empty path to a git repository, got "  "'],
    [{ goal: 'g', repoRoot: '/r', maxDiffLines: 0 }, 'coderProfile: task.maxDiffLines must be an integer >= 1, got 0'],
    [{ goal: 'g', repoRoot: '/r', forbiddenPaths: 'infra' }, 'coderProfile: task.forbiddenPaths must be an array of path strings, got "infra"'],
  ])('throws ValidationError on a bad task %#', (bad, message) => {
    const run = () => coderProfile({ task: bad as never })
    expect(run).toThrow(ValidationError)
    expect(run).toThrow(message)
  })

  it('throws ValidationError on missing options or an empty harness', () => {
    expect(() => coderProfile(undefined as never)).toThrow('coderProfile: options must be an object {task, harness?}, got undefined')
    const empty = () => coderProfile({ task, harness: ' ' })
    expect(empty).toThrow(ValidationError)
    expect(empty).toThrow('harness must be a non-empty string like "claude-code" or "opencode/provider/model", got " "')
  })
})

describe('parseHarness', () => {
  it('splits backend type, provider and model', () => {
    expect(parseHarness('codex')).toEqual({ backendType: 'codex' })
    expect(parseHarness('codex/gpt-5')).toEqual({ backendType: 'codex', model: 'gpt-5' })
    expect(parseHarness('opencode/openrouter/anthropic/claude')).toEqual({ backendType: 'opencode', provider: 'openrouter', model: 'anthropic/claude' })
  })
})
