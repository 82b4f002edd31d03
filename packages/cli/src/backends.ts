import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { TickBackend, TickUsage, TriageDecision } from '@tangle-network/agent-runtime-core'

/** A scripted tick: what triage says, which files the change writes, the usage of each step. @experimental */
export interface ScriptedTickScript {
  decision?: TriageDecision
  /** Files the implementer writes, relative to the worktree. Default `src/example.ts`. */
  files?: Record<string, string>
  /** Usage of the triage, implement and review steps. Default 1,000 + 3,000 + 1,000 tokens (5,000 a tick). */
  usage?: { triage?: TickUsage; implement?: TickUsage; review?: TickUsage }
  /** Reviewer verdict (default approve). */
  approve?: boolean
  /** Called after the implementer wrote its files (tests use it to act mid-tick). */
  afterImplement?(workdir: string): void | Promise<void>
}

/**
 * The deterministic backend behind `--dry-run`: no key, no network. It still
 * writes real files in the real worktree, so verify, gate and commit run for real.
 * @experimental
 * @example
 * const backend = createScriptedTickBackend({ files: { 'src/example.ts': 'export const x = 1\n' } })
 */
export function createScriptedTickBackend(script: ScriptedTickScript = {}): TickBackend {
  const files = script.files ?? { 'src/example.ts': '// proposed by the scripted backend (dry run)\nexport const example = true\n' }
  const usage = { triage: { tokens: 1000 }, implement: { tokens: 3000 }, review: { tokens: 1000 }, ...script.usage }
  return {
    name: 'mock',
    async triage({ pattern }) {
      const decision = script.decision ?? 'act'
      return { decision, summary: `${pattern.name}: ${decision === 'act' ? 'one change to make' : decision === 'report' ? 'findings to report' : 'nothing to do'}`, usage: usage.triage }
    },
    async implement({ workdir }) {
      for (const [rel, text] of Object.entries(files)) {
        const p = join(workdir, rel)
        mkdirSync(dirname(p), { recursive: true })
        writeFileSync(p, text)
      }
      await script.afterImplement?.(workdir)
      return { summary: `proposed change touching ${Object.keys(files).join(', ')}`, usage: usage.implement }
    },
    async review() {
      const approved = script.approve ?? true
      return { approved, notes: approved ? 'looks right' : 'scripted rejection', usage: usage.review }
    },
  }
}

/** Options of {@link createClaudeTickBackend}. @experimental */
export interface ClaudeTickBackendOptions {
  /** The command; default `claude`. */
  command?: string
  /** Extra arguments after `-p <prompt> --output-format json`. */
  args?: readonly string[]
  /** Per-call limit. Default 900 000 ms. */
  timeoutMs?: number
}

/** Runs `claude -p` (headless) in `cwd`; resolves with its result text and usage. */
function runClaude(options: ClaudeTickBackendOptions, prompt: string, cwd: string, signal: AbortSignal): Promise<{ text: string; usage: TickUsage }> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.command ?? 'claude', ['-p', prompt, '--output-format', 'json', ...(options.args ?? [])], { cwd, stdio: ['ignore', 'pipe', 'pipe'], signal, timeout: options.timeoutMs ?? 900_000 })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${options.command ?? 'claude'} exited ${code}: ${err.trim().slice(-500)}`))
      try {
        const j = JSON.parse(out) as { result?: string; usage?: { input_tokens?: number; output_tokens?: number }; total_cost_usd?: number }
        resolve({ text: j.result ?? '', usage: { tokens: (j.usage?.input_tokens ?? 0) + (j.usage?.output_tokens ?? 0), costUsd: j.total_cost_usd ?? 0 } })
      } catch {
        resolve({ text: out, usage: { tokens: 0 } })
      }
    })
  })
}

/**
 * The `--backend claude` backend: headless `claude -p` run inside the tick's
 * worktree (triage reads the repository, implement edits it, review reads the diff).
 * @experimental
 * @example
 * const backend = createClaudeTickBackend({ args: ['--model', 'sonnet'] })
 */
export function createClaudeTickBackend(repoRoot: string, options: ClaudeTickBackendOptions = {}): TickBackend {
  return {
    name: 'claude',
    async triage({ pattern }, signal) {
      const r = await runClaude(options, `You run the loop "${pattern.name}". Goal: ${pattern.goal}\nInspect the repository and answer with one word first: noop, report or act, then one line why.`, repoRoot, signal)
      const word = r.text.trim().split(/\s+/)[0]?.toLowerCase()
      const decision: TriageDecision = word === 'act' || word === 'report' ? word : 'noop'
      return { decision, summary: r.text.trim().split('\n')[0] ?? decision, usage: r.usage }
    },
    async implement({ pattern, triage, workdir }, signal) {
      const r = await runClaude(options, `Goal: ${pattern.goal}\nTriage: ${triage}\nMake the smallest change that does it. Do not commit.`, workdir, signal)
      return { summary: r.text.trim().split('\n')[0] ?? 'change made', usage: r.usage }
    },
    async review({ diff }, signal) {
      const r = await runClaude(options, `Review this diff. Answer APPROVE or REJECT first, then why.\n\n${diff.slice(0, 60_000)}`, repoRoot, signal)
      return { approved: /^\s*APPROVE/i.test(r.text), notes: r.text.trim().slice(0, 500), usage: r.usage }
    },
  }
}
