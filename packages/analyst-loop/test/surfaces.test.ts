import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type AnalystFinding, findingId } from '@tangle-network/agent-runtime/analyst-loop'
import { createKnowledgeSurface, createPromptSurface, type PromptPromotionRequest } from '@tangle-network/agent-runtime/analyst-loop/node'
import { initGitRepo } from '@tangle-network/agent-runtime/sandbox-local'
import { afterAll, describe, expect, it } from 'vitest'
import { floorKbGate } from './kb-floor-gate.js'

const tmp = mkdtempSync(join(tmpdir(), 'i14-surfaces-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const finding = (area: string, over: Partial<AnalystFinding> = {}): AnalystFinding => {
  const f: AnalystFinding = { finding_id: '', analyst_id: 'a', severity: 'high', area, claim: `claim about ${area}`, evidence_refs: [], confidence: 0.95, ...over }
  f.finding_id = findingId(f)
  return f
}
const ctx = { runId: 'audit-1', baselineRunId: null, diff: null }
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim()

describe('prompt surface', () => {
  it('proposes an edit of the prompt file on its own branch in a git worktree; ship lands it, hold keeps it for review', async () => {
    const { dir } = await initGitRepo(join(tmp, 'repo'), { 'prompts/system.md': '# Support agent\n\nBe concise.\n', 'README.md': 'x\n' })
    const requests: PromptPromotionRequest[] = []
    const surface = createPromptSurface({
      repoRoot: dir,
      promptFile: 'prompts/system.md',
      worktreeRoot: join(tmp, 'worktrees'),
      promote: async (req) => {
        requests.push(req)
        return req.candidatePrompt.includes('timeout') ? { decision: 'ship', reasons: ['held-out lift 0.3 (p=0.004)'], delta: 0.3 } : { decision: 'hold', reasons: ['no significant lift (p=0.5)'] }
      },
    })
    const shipFinding = finding('error:TimeoutError', { recommended_action: 'On a tool timeout, retry once and then tell the user.' })
    const holdFinding = finding('prompt', { recommended_action: 'Always greet the user by name.' })
    const items = await surface.propose([shipFinding, holdFinding, finding('knowledge', { recommended_action: 'ignored' }), finding('prompt')], ctx)
    expect(items.map((i) => i.sourceFindingId)).toEqual([shipFinding.finding_id, holdFinding.finding_id])
    const [ship, hold] = items as [(typeof items)[0], (typeof items)[0]]
    expect(ship.candidatePrompt).toBe('# Support agent\n\nBe concise.\n\n## Learned from traces\n\n- On a tool timeout, retry once and then tell the user.\n')
    expect(readFileSync(join(ship.worktree, 'prompts/system.md'), 'utf8')).toBe(ship.candidatePrompt)
    expect(ship.diff).toContain('+- On a tool timeout, retry once and then tell the user.')
    expect(git(ship.worktree, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(ship.branch)
    // Proposing changes nothing on the agent's branch.
    expect(readFileSync(join(dir, 'prompts/system.md'), 'utf8')).toBe('# Support agent\n\nBe concise.\n')

    const outcomes = await surface.apply!(items, ctx)
    expect(requests.map((r) => r.sourceFindingId)).toEqual([shipFinding.finding_id, holdFinding.finding_id])
    expect(outcomes.map((o) => [o.applied, o.reason])).toEqual([
      [true, 'held-out lift 0.3 (p=0.004)'],
      [false, 'improvement gate decided hold: no significant lift (p=0.5)'],
    ])
    expect(readFileSync(join(dir, 'prompts/system.md'), 'utf8')).toBe(ship.candidatePrompt)
    expect(git(dir, 'log', '-1', '--format=%s')).toContain('prompt: claim about error:TimeoutError')
    // The held edit stays on its branch for review.
    expect(git(dir, 'branch', '--list', hold.branch)).toContain(hold.branch)
    await surface.cleanup()
    expect(existsSync(hold.worktree)).toBe(false)
    expect(git(dir, 'branch', '--list', hold.branch)).toBe('')
    expect(git(dir, 'status', '--porcelain')).toBe('')
  })

  it('refuses a prompt file outside the repository and a missing gate', () => {
    expect(() => createPromptSurface({ repoRoot: tmp, promptFile: '../x.md', promote: async () => ({ decision: 'ship', reasons: [] }) })).toThrow(/inside the repository/)
    expect(() => createPromptSurface({ repoRoot: tmp, promptFile: 'x.md', promote: undefined as never })).toThrow(/promote is required/)
  })
})

describe('knowledge surface', () => {
  it('writes proposed facts as files, only those the KB gate accepts', async () => {
    const dir = join(tmp, 'kb')
    const source = 'Policy page: Refunds are accepted within 30 days of purchase. Shipping is free over $50.'
    const surface = createKnowledgeSurface({ dir, gate: floorKbGate(), resolveSource: () => source })
    const grounded = finding('knowledge', { subject: 'Refund Policy', recommended_action: 'The refund window is "Refunds are accepted within 30 days of purchase"', evidence_refs: [{ kind: 'run', uri: 'trace://r1' }] })
    const unbacked = finding('knowledge', { subject: 'shipping', recommended_action: 'Shipping is always free for "all orders worldwide today"' })
    const items = await surface.propose([grounded, unbacked, finding('prompt', { recommended_action: 'x' })], ctx)
    expect(items.map((i) => i.file)).toEqual([join(dir, 'refund-policy.md'), join(dir, 'shipping.md')])
    expect(items[0]!.candidate).toEqual({ claim: grounded.recommended_action, verbatimPassage: 'Refunds are accepted within 30 days of purchase', sourceText: source, citation: 'trace://r1' })
    const outcomes = await surface.apply!(items, ctx)
    expect(outcomes.map((o) => [o.applied, o.rejected ?? false, o.reason])).toEqual([
      [true, false, undefined],
      [false, true, 'KB gate vetoed it (passage-present): verbatim passage not found in source (unbacked fact)'],
    ])
    expect(readFileSync(join(dir, 'refund-policy.md'), 'utf8')).toContain('> Refunds are accepted within 30 days of purchase')
    expect(existsSync(join(dir, 'shipping.md'))).toBe(false)
  })

  it('refuses a relative directory and a missing gate', () => {
    expect(() => createKnowledgeSurface({ dir: 'kb', gate: floorKbGate(), resolveSource: () => '' })).toThrow(/must be absolute/)
    expect(() => createKnowledgeSurface({ dir: tmp, gate: undefined as never, resolveSource: () => '' })).toThrow(/gate is required/)
  })
})
