/**
 * Mounts the agent-runtime-mcp bin the way the agent profile in profile.ts
 * does, and drives it with the official MCP client: delegate_code →
 * delegation_status(waitMs) → completed, then prints the winner's patch and
 * rates it with delegate_feedback. No key: the embedded default runs the
 * delegation in a git worktree of a sample repository, with the `claude` CLI
 * through the command harness (a stand-in unless you pass --real).
 *
 *   node --conditions=source --import tsx examples/mcp-delegation/main.ts [--real] [--keep]
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { initGitRepo } from '@tangle-network/agent-runtime/sandbox-local'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { productAgentProfile } from './profile.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const real = process.argv.includes('--real')
const keep = process.argv.includes('--keep')
const print = (line = '') => process.stdout.write(`${line}\n`)

/** In this repository `agent-runtime-mcp` is run from source; installed, it is the bin on PATH. */
function resolveCommand(command: string, args: string[] = []): { command: string; args: string[] } {
  if (command !== 'agent-runtime-mcp') return { command, args }
  const tsx = pathToFileURL(path.join(repo, 'node_modules/tsx/dist/loader.mjs')).href
  return { command: process.execPath, args: ['--conditions=source', '--import', tsx, path.join(repo, 'packages/agent-runtime/src/bin/mcp.ts'), ...args] }
}

async function main(): Promise<number> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'mcp-delegation-'))
  const template = path.join(here, 'sample-repo')
  const files: Record<string, string> = {}
  for (const name of await readdir(template)) files[name] = await readFile(path.join(template, name), 'utf8')
  const { dir: repoRoot } = await initGitRepo(path.join(tmp, 'repo'), files, { message: 'cart with a failing test' })
  const entry = productAgentProfile.mcp['agent-runtime']
  const { command, args } = resolveCommand(entry.command)
  const transport = new StdioClientTransport({
    command,
    args,
    cwd: tmp,
    env: {
      ...(process.env as Record<string, string>),
      ...entry.env,
      // Without --real the stand-in `claude` comes first on PATH.
      PATH: real ? (process.env.PATH ?? '') : `${path.join(here, 'stand-in')}${path.delimiter}${process.env.PATH ?? ''}`,
    },
    stderr: 'pipe',
  })
  transport.stderr?.on('data', (d) => process.stderr.write(`  [server] ${d}`))
  const client = new Client({ name: productAgentProfile.name, version: '1.0.0' })
  try {
    await client.connect(transport)
    const tools = (await client.listTools()).tools.map((t) => t.name)
    print(`mounted agent-runtime-mcp: ${tools.join(', ')}`)

    const submitted = await client.callTool({
      name: 'delegate_code',
      arguments: { goal: 'Make the failing test in test.mjs pass.', repoRoot, config: { testCmd: 'node test.mjs', maxDiffLines: 40 } },
    })
    const { taskId, estimatedDurationMs } = submitted.structuredContent as { taskId: string; estimatedDurationMs: number }
    print(`delegate_code → ${taskId} (estimated ${Math.round(estimatedDurationMs / 60_000)} min)`)

    let status: Record<string, any>
    do {
      // One call waits up to 50 s for a state change instead of busy-polling; progress arrives as notifications.
      const res = await client.callTool({ name: 'delegation_status', arguments: { taskId, waitMs: 50_000 } }, undefined, {
        onprogress: (p) => print(`  progress: ${p.message}`),
      })
      status = res.structuredContent as Record<string, any>
      print(`delegation_status → ${status.status}`)
    } while (status.status === 'pending' || status.status === 'running')

    if (status.status !== 'completed') {
      print(`the delegation ended ${status.status}: ${status.error?.message}`)
      return 1
    }
    const winner = status.result.output
    print(`winner: candidate #${winner.winnerIndex} of ${winner.candidates}, score ${winner.score.toFixed(3)}, tests ${winner.output.testResult.passed ? 'passed' : 'failed'}`)
    print('--- winning patch ---')
    print(winner.output.patch.trimEnd())
    print('---------------------')
    const fb = await client.callTool({
      name: 'delegate_feedback',
      arguments: { refersTo: { kind: 'delegation', ref: taskId }, rating: { score: 1, label: 'good', notes: 'minimal fix, tests pass' }, by: 'agent' },
    })
    print(`delegate_feedback → ${(fb.structuredContent as { id: string }).id}`)
    return winner.output.testResult.passed ? 0 : 1
  } finally {
    await client.close()
    if (keep) print(`kept for inspection: ${tmp}`)
    else await rm(tmp, { recursive: true, force: true })
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`mcp-delegation example failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  },
)
