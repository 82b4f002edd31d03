import type { LoopSandboxClient, SandboxEvent } from '@tangle-network/agent-runtime-core'
import { ValidationError } from '@tangle-network/agent-runtime-core'
import { createRefineDriver, runLoop } from '@tangle-network/agent-runtime-core/loops'
import {
  createResearchOutputAdapter,
  createResearchValidator,
  type ResearchOutput,
  type ResearchTask,
  type ResearchVerdict,
  researcherProfile,
} from '@tangle-network/agent-runtime-core/profiles'
import { describe, expect, it } from 'vitest'

const ctx = { iteration: 0 }

describe('createResearchOutputAdapter', () => {
  it('reads findings from a result event and cleans sources', async () => {
    const events: SandboxEvent[] = [
      {
        type: 'result',
        data: {
          result: {
            findings: [
              { claim: ' Node 22 ships require(esm) ', sources: ['https://nodejs.org/en/blog', 'https://nodejs.org/en/blog', ' n/a ', 42] },
              { claim: 'It is unflagged in 22.12', source: 'https://nodejs.org/changelog' },
              { claim: '', sources: ['x'] },
              'not an object',
            ],
            summary: ' require(esm) is stable. ',
          },
        },
      },
    ]
    expect(await createResearchOutputAdapter().parse(events)).toEqual({
      findings: [
        { claim: 'Node 22 ships require(esm)', sources: ['https://nodejs.org/en/blog'] },
        { claim: 'It is unflagged in 22.12', sources: ['https://nodejs.org/changelog'] },
      ],
      summary: 'require(esm) is stable.',
    })
  })

  it('falls back to the last fenced JSON block in streamed text', async () => {
    const block = (summary: string) => `\`\`\`json\n${JSON.stringify({ findings: [{ claim: 'c', sources: ['s'] }], summary })}\n\`\`\``
    const events: SandboxEvent[] = [
      { type: 'message.part.updated', data: { delta: `draft:\n${block('first')}\n` } },
      { type: 'message.part.updated', data: { delta: `final:\n${block('second')}\n` } },
      { type: 'result', data: { finalText: 'done' } },
    ]
    expect(await createResearchOutputAdapter().parse(events)).toEqual({ findings: [{ claim: 'c', sources: ['s'] }], summary: 'second' })
  })

  it('throws ValidationError when no result can be found', async () => {
    const run = async () => createResearchOutputAdapter().parse([{ type: 'result', data: { finalText: 'no json here' } }])
    await expect(run()).rejects.toBeInstanceOf(ValidationError)
    await expect(run()).rejects.toThrow('researcher output: no researcher.result/result/final event or fenced JSON block with {findings, summary}')
  })
})

describe('createResearchValidator', () => {
  it('accepts grounded findings with a summary', async () => {
    const verdict = await createResearchValidator().validate({ findings: [{ claim: 'a', sources: ['s1'] }], summary: 'sum' }, ctx)
    expect(verdict).toEqual({
      valid: true,
      score: 1,
      scores: { presence: 1, grounding: 1, summary: 1 },
      notes: 'passed: 1 grounded finding(s) with a summary',
      ungroundedClaims: [],
    })
  })

  it('rejects ungrounded claims and scores partial grounding', async () => {
    const verdict = await createResearchValidator().validate(
      {
        findings: [
          { claim: 'sourced', sources: ['s'] },
          { claim: 'made up', sources: [] },
        ],
        summary: 's',
      },
      ctx,
    )
    expect(verdict.valid).toBe(false)
    expect(verdict.scores.grounding).toBe(0.5)
    expect(verdict.score).toBeCloseTo(0.3 + 0.25 + 0.2, 10)
    expect(verdict.notes).toBe('ungrounded claims (1/2): "made up"')
    expect(verdict.ungroundedClaims).toEqual(['made up'])
    // A looser threshold accepts it.
    expect((await createResearchValidator({ minGrounding: 0.5 }).validate({ findings: [{ claim: 'a', sources: ['s'] }, { claim: 'b', sources: [] }], summary: 's' }, ctx)).valid).toBe(true)
  })

  it('rejects too few findings and a missing summary, naming both', async () => {
    const verdict = await createResearchValidator({ minFindings: 2 }).validate({ findings: [{ claim: 'a', sources: ['s'] }], summary: ' ' }, ctx)
    expect(verdict.valid).toBe(false)
    expect(verdict.notes).toBe('too few findings: 1 < minFindings 2; summary missing')
    expect(verdict.score).toBeCloseTo(0.15 + 0.5, 10)
    const empty = await createResearchValidator().validate({ findings: [], summary: '' }, ctx)
    expect(empty.score).toBe(0)
  })

  it('throws ValidationError on bad thresholds', () => {
    expect(() => createResearchValidator({ minFindings: 0 })).toThrow('createResearchValidator: minFindings must be an integer >= 1, got 0')
    const bad = () => createResearchValidator({ minGrounding: 1.5 })
    expect(bad).toThrow(ValidationError)
    expect(bad).toThrow('createResearchValidator: minGrounding must be a number in [0, 1], got 1.5')
  })
})

describe('researcherProfile in a loop', () => {
  it('refines until a grounded answer arrives', async () => {
    const answers = [
      { findings: [{ claim: 'unsourced', sources: [] }], summary: 'guess' },
      { findings: [{ claim: 'sourced', sources: ['https://example.org/spec'] }], summary: 'grounded' },
    ]
    const prompts: string[] = []
    let n = 0
    const client: LoopSandboxClient = {
      async create() {
        const answer = answers[n++]
        return {
          id: `box-${n}`,
          async *streamPrompt(prompt: string) {
            prompts.push(prompt)
            yield { type: 'message.part.updated', data: { delta: `\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` } }
          },
        }
      },
    }
    const researcher = researcherProfile({ harness: 'codex' })
    const task: ResearchTask = { question: 'What does the spec say?', scope: 'the 2024 edition', sources: ['docs', 'web'] }
    const result = await runLoop({
      driver: createRefineDriver<ResearchTask, ResearchOutput, ResearchVerdict>({ maxIterations: 3 }),
      agentRun: researcher.agentRun,
      output: researcher.output,
      validator: researcher.validator,
      task,
      ctx: { sandboxClient: client },
    })
    expect(result.iterations.map((i) => i.verdict?.valid)).toEqual([false, true])
    expect(result.winner?.output.summary).toBe('grounded')
    expect(prompts[0]).toContain('Research question: What does the spec say?')
    expect(prompts[0]).toContain('Scope: the 2024 edition')
    expect(prompts[0]).toContain('Prefer these kinds of sources: docs, web.')
    expect(researcher.agentRun.profile.metadata?.backendType).toBe('codex')
  })

  it('rejects an empty question when building the prompt', async () => {
    const researcher = researcherProfile()
    expect(() => researcher.agentRun.taskToPrompt({ question: '' })).toThrow('researcherProfile: task.question must be a non-empty string, got ""')
  })
})
