import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ValidationError } from '@tangle-network/agent-runtime-core'
import type { PromotePrompt, PromotionDecision } from '../gates.js'
import type { SurfaceAdapter, SurfaceApplyOutcome, SurfaceProposal } from '../surface-adapter.js'
import type { AnalystFinding } from '../types.js'
import { git } from './git.js'

/** A proposed prompt edit, committed on its own branch in its own git worktree. @experimental */
export interface PromptEditProposal extends SurfaceProposal {
  /** Repository-relative path of the prompt file. */
  file: string
  branch: string
  /** Absolute path of the worktree holding the edit (kept for review until landed or cleaned up). */
  worktree: string
  commit: string
  baselinePrompt: string
  candidatePrompt: string
  diff: string
  rationale: string
}

/** Options of {@link createPromptSurface}. @experimental */
export interface PromptSurfaceOptions {
  /** The agent's git repository (its `repoRoot`). Edits land on its checked-out branch. */
  repoRoot: string
  /** Repository-relative path of the prompt file, e.g. `prompts/system.md`. */
  promptFile: string
  /** The improvement gate: only `ship` lands an edit. */
  promote: PromotePrompt
  /** Which findings become edits. Default: area `prompt`, `error:*` or `tool:*` with a `recommended_action`. */
  accept?: (finding: AnalystFinding) => boolean
  /** The edited prompt. Default: the recommended action appended under a `## Learned from traces` section. */
  rewrite?: (currentPrompt: string, finding: AnalystFinding) => string
  /** Where worktrees go. Default `<tmpdir>/agent-runtime-prompt-surface`. */
  worktreeRoot?: string
  /** Branch name prefix. Default `analyst/`. */
  branchPrefix?: string
}

/** The prompt surface adapter, plus cleanup of the worktrees it made. @experimental */
export interface PromptSurface extends SurfaceAdapter<PromptEditProposal> {
  /** Removes every worktree (and unlanded branch) this adapter created. */
  cleanup(): Promise<void>
}

const SECTION = '## Learned from traces'

function defaultRewrite(current: string, finding: AnalystFinding): string {
  const rule = `- ${finding.recommended_action!.trim()}`
  if (current.includes(rule)) return current
  const body = current.endsWith('\n') ? current : `${current}\n`
  return body.includes(SECTION) ? `${body}${rule}\n` : `${body}\n${SECTION}\n\n${rule}\n`
}

const defaultAccept = (f: AnalystFinding) => !!f.recommended_action && (f.area === 'prompt' || f.area.startsWith('error:') || f.area.startsWith('tool:'))

/**
 * The prompt surface: for each accepted finding it commits an edit of the
 * prompt file on a new branch in its own git worktree (propose), and lands
 * it on the repository's branch only when the improvement gate says `ship`
 * (apply). A `hold` leaves the branch and worktree for review, with the
 * gate's reasons.
 * @experimental
 * @example
 * const improvementAdapter = createPromptSurface({ repoRoot: agent.repoRoot, promptFile: 'prompts/system.md', promote: (req) => myHeldOutGate(req) })
 */
export function createPromptSurface(options: PromptSurfaceOptions): PromptSurface {
  const { repoRoot, promptFile, promote } = options
  if (typeof promote !== 'function') throw new ValidationError('createPromptSurface: promote is required (the /improvement gate); prompt edits land only through it.')
  if (path.isAbsolute(promptFile) || promptFile.split(/[\\/]/).includes('..')) {
    throw new ValidationError(`createPromptSurface: promptFile '${promptFile}' must be a path inside the repository, relative to repoRoot.`)
  }
  const accept = options.accept ?? defaultAccept
  const rewrite = options.rewrite ?? defaultRewrite
  const worktreeRoot = options.worktreeRoot ?? path.join(tmpdir(), 'agent-runtime-prompt-surface')
  const prefix = options.branchPrefix ?? 'analyst/'
  const created: { worktree: string; branch: string }[] = []
  const landed = new Set<string>()
  const removeWorktree = async (w: { worktree: string; branch: string }) => {
    await git(repoRoot, ['worktree', 'remove', '--force', w.worktree]).catch(() => rm(w.worktree, { recursive: true, force: true }))
    if (!landed.has(w.branch)) await git(repoRoot, ['branch', '-D', w.branch]).catch(() => {})
  }
  return {
    surface: 'prompt',
    async propose(findings, ctx) {
      const chosen = findings.filter(accept)
      if (chosen.length === 0) return []
      const baselinePrompt = await readFile(path.join(repoRoot, promptFile), 'utf8')
      const head = (await git(repoRoot, ['rev-parse', 'HEAD'])).trim()
      await mkdir(worktreeRoot, { recursive: true })
      const items: PromptEditProposal[] = []
      for (const finding of chosen) {
        const candidatePrompt = rewrite(baselinePrompt, finding)
        if (candidatePrompt === baselinePrompt) continue
        const slug = `${ctx.runId}-${finding.finding_id}`.replace(/[^A-Za-z0-9._-]+/g, '-')
        const branch = `${prefix}${slug}`
        const worktree = path.join(worktreeRoot, `${slug}-${process.pid}`)
        await git(repoRoot, ['worktree', 'add', '-b', branch, worktree, head])
        created.push({ worktree, branch })
        await writeFile(path.join(worktree, promptFile), candidatePrompt)
        await git(worktree, ['add', '--', promptFile])
        await git(worktree, ['commit', '-q', '-m', `prompt: ${finding.claim.slice(0, 60)}\n\nfinding ${finding.finding_id} (${finding.analyst_id})`])
        const commit = (await git(worktree, ['rev-parse', 'HEAD'])).trim()
        const diff = await git(worktree, ['diff', `${head}..${commit}`, '--', promptFile])
        items.push({
          id: `prompt:${finding.finding_id}`,
          sourceFindingId: finding.finding_id,
          title: `Edit ${promptFile}: ${finding.recommended_action ?? finding.claim}`,
          file: promptFile,
          branch,
          worktree,
          commit,
          baselinePrompt,
          candidatePrompt,
          diff,
          rationale: finding.claim,
        })
      }
      return items
    },
    async apply(items) {
      const out: SurfaceApplyOutcome<PromptEditProposal>[] = []
      for (const item of items) {
        let decision: PromotionDecision
        try {
          decision = await promote({ file: item.file, baselinePrompt: item.baselinePrompt, candidatePrompt: item.candidatePrompt, diff: item.diff, rationale: item.rationale, sourceFindingId: item.sourceFindingId })
        } catch (err) {
          out.push({ item, applied: false, reason: `improvement gate failed: ${(err as Error).message}`, detail: { decision: 'hold' } })
          continue
        }
        if (decision.decision !== 'ship') {
          out.push({ item, applied: false, reason: `improvement gate decided ${decision.decision}: ${decision.reasons.join('; ') || 'no reason given'}`, detail: { ...decision } })
          continue
        }
        try {
          await git(repoRoot, ['merge', '--no-edit', '-q', item.branch])
          landed.add(item.branch)
          out.push({ item, applied: true, reason: decision.reasons.join('; '), detail: { ...decision, commit: (await git(repoRoot, ['rev-parse', 'HEAD'])).trim() } })
        } catch (err) {
          await git(repoRoot, ['merge', '--abort']).catch(() => {})
          out.push({ item, applied: false, reason: `gate shipped it but it does not merge cleanly: ${(err as Error).message}`, detail: { ...decision } })
        }
      }
      return out
    },
    async cleanup() {
      for (const w of created.splice(0)) await removeWorktree(w)
    },
  }
}
