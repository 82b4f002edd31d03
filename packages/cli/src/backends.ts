import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import type { TickBackend, TickUsage, TriageDecision } from '@tangle-network/agent-runtime-core'
import { commandHarness, type LocalHarness, type LocalHarnessBox } from '@tangle-network/agent-runtime-sandbox-local'

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
  /** Parent environment variables the command sees besides PATH/HOME/LANG/TERM/TMPDIR. Default `ANTHROPIC_API_KEY`. */
  envAllowlist?: readonly string[]
  /** Per-call limit; the process tree is killed after it. Default 900 000 ms. */
  timeoutMs?: number
}

/** The box the command harness sees: the worktree, with file and shell access confined to it. */
function worktreeBox(workdir: string): LocalHarnessBox {
  const inside = (p: string) => {
    const abs = resolve(workdir, p)
    if (abs !== workdir && !abs.startsWith(`${workdir}${sep}`)) throw new Error(`path escapes the worktree: ${p}`)
    return abs
  }
  return {
    id: `worktree:${workdir}`,
    workdir,
    exec: (command, o = {}) =>
      new Promise((done) => {
        execFile('sh', ['-c', command], { cwd: inside(o.cwd ?? '.'), timeout: o.timeoutMs ?? 600_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
          done({ exitCode: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
        )
      }),
    read: async (p) => readFileSync(inside(p), 'utf8'),
    write: async (p, content) => {
      const abs = inside(p)
      mkdirSync(dirname(abs), { recursive: true })
      writeFileSync(abs, content)
    },
  }
}

/** Runs headless claude once through the command harness; resolves with its answer and usage. */
async function runClaude(harness: LocalHarness, prompt: string, workdir: string, signal: AbortSignal): Promise<{ text: string; usage: TickUsage }> {
  let answer: { result?: unknown; usage?: { input_tokens?: number; output_tokens?: number }; total_cost_usd?: number } | undefined
  let text = ''
  let failure: string | undefined
  for await (const e of harness.run({ prompt, workdir, signal, box: worktreeBox(workdir), env: {}, options: {}, createOptions: {} })) {
    const data = (e.data ?? {}) as Record<string, unknown>
    if (e.type === 'result' && typeof data.result === 'string') answer = data as typeof answer
    else if (e.type === 'error') failure = String(data.message ?? 'failed')
    else if (typeof data.delta === 'string') text += data.delta
  }
  if (failure) throw new Error(failure)
  if (!answer) return { text, usage: { tokens: 0 } }
  const u = answer.usage ?? {}
  return { text: String(answer.result), usage: { tokens: (u.input_tokens ?? 0) + (u.output_tokens ?? 0), costUsd: answer.total_cost_usd ?? 0 } }
}

/**
 * The `--backend claude` backend: headless `claude -p … --output-format json`
 * run through the command harness (own process group, allowlisted
 * environment, killed on abort or timeout) inside the tick's worktree:
 * triage reads the repository, implement edits the worktree, review reads the diff.
 * @experimental
 * @example
 * const backend = createClaudeTickBackend(process.cwd(), { args: ['--model', 'sonnet'] })
 */
export function createClaudeTickBackend(repoRoot: string, options: ClaudeTickBackendOptions = {}): TickBackend {
  const command = options.command ?? 'claude'
  const harness = commandHarness({
    command,
    args: ['-p', '{prompt}', '--output-format', 'json', ...(options.args ?? [])],
    envAllowlist: options.envAllowlist ?? ['ANTHROPIC_API_KEY'],
    timeoutMs: options.timeoutMs ?? 900_000,
    parse: 'ndjson',
    name: 'claude',
  })
  const call = (prompt: string, cwd: string, signal: AbortSignal) => runClaude(harness, prompt, cwd, signal)
  return {
    name: 'claude',
    async triage({ pattern }, signal) {
      const r = await call(`You run the loop "${pattern.name}". Goal: ${pattern.goal}\n${pattern.instructions ? `Loop instructions (LOOP.md):\n${pattern.instructions}\n` : ''}Inspect the repository and answer with one word first: noop, report or act, then one line why.`, repoRoot, signal)
      const word = r.text.trim().split(/\s+/)[0]?.toLowerCase().replace(/[^a-z]/g, '')
      const decision: TriageDecision = word === 'act' || word === 'report' ? word : 'noop'
      return { decision, summary: r.text.trim().split('\n')[0] ?? decision, usage: r.usage }
    },
    async implement({ pattern, triage, workdir }, signal) {
      const r = await call(`Goal: ${pattern.goal}\n${pattern.instructions ? `Loop instructions (LOOP.md):\n${pattern.instructions}\n` : ''}Triage: ${triage}\nMake the smallest change that does it, in this directory. Do not commit.`, workdir, signal)
      return { summary: r.text.trim().split('\n')[0] || 'change made', usage: r.usage }
    },
    async review({ diff }, signal) {
      const r = await call(`Review this diff. Answer APPROVE or REJECT first, then why.\n\n${diff.slice(0, 60_000)}`, repoRoot, signal)
      return { approved: /^\s*APPROVE/i.test(r.text), notes: r.text.trim().slice(0, 500), usage: r.usage }
    },
  }
}
