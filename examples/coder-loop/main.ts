/**
 * The README demo: a fan-out of three coding agents over a small repository
 * whose test fails. Each candidate works in its own git worktree; its patch is
 * measured from the worktree and the repository's real test runs inside it.
 * The secret-path floor and no-op rejection turn two candidates down, the fix
 * wins, and the trace is printed as a span tree. No API key, no network.
 *
 *   pnpm demo            (or: node --conditions=source --import tsx examples/coder-loop/main.ts)
 *   pnpm demo -- --keep  keeps the temp repository and worktrees for inspection
 *   pnpm demo -- --console  also serves the loop console (http://127.0.0.1:4319) over the run until Ctrl-C
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderLoopTrace, runLoop } from '@tangle-network/agent-runtime/loops'
import { multiHarnessCoderFanout } from '@tangle-network/agent-runtime/profiles'
import { createLocalSandboxClient, initGitRepo } from '@tangle-network/agent-runtime/sandbox-local'
import { candidateHarnesses } from './candidates.js'
import { startDemoConsole } from './console.js'
import { createProgressReporter, explainVerdicts } from './report.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const keep = process.argv.includes('--keep')
const withConsole = process.argv.includes('--console')
const portFlag = process.argv.indexOf('--port')
const consolePort = portFlag > 0 ? Number(process.argv[portFlag + 1]) : 4319
const print = (line = ''): void => {
  process.stdout.write(`${line}\n`)
}

/** Copies the template in `sample-repo/` into a fresh git repository with one commit. */
async function createSampleRepo(dir: string): Promise<string> {
  const template = path.join(here, 'sample-repo')
  const files: Record<string, string> = {}
  for (const name of await readdir(template)) files[name] = await readFile(path.join(template, name), 'utf8')
  const { dir: repo } = await initGitRepo(dir, files, { message: 'sample repo with a failing test' })
  return repo
}

async function main(): Promise<number> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'coder-loop-demo-'))
  const repoRoot = await createSampleRepo(path.join(tmp, 'repo'))
  const sandboxClient = createLocalSandboxClient({ root: path.join(tmp, 'boxes'), harnesses: candidateHarnesses, keep })
  print(`sample repository: ${repoRoot} (its test fails: total() ignores quantities)`)

  // One coder task, fanned out over three harnesses: runLoop + createFanoutVoteDriver({n: 3})
  // with one agent run per harness, the coder output adapter and the coder validator.
  const fanout = multiHarnessCoderFanout({
    task: {
      goal: 'Make the failing test in test.mjs pass.',
      contextHint: 'The cart total is wrong for items bought more than once.',
      repoRoot,
      testCmd: 'node test.mjs',
      typecheckCmd: 'node --check cart.mjs',
      maxDiffLines: 40,
    },
    harnesses: ['fix-bug', 'leak-secret', 'do-nothing'],
  })
  print(`task: "${fanout.task.goal}", given to ${fanout.agentRuns.length} scripted agents, each working in its own git worktree`)
  print(
    `checks per candidate: no-op, secret-path floor, forbidden paths, diff ≤ ${fanout.task.maxDiffLines} lines, \`${fanout.task.testCmd}\`, \`${fanout.task.typecheckCmd}\``,
  )
  print()

  const reporter = createProgressReporter(print)
  const demoConsole = withConsole ? await startDemoConsole(tmp, consolePort, print) : undefined
  try {
    // `fanout` carries the driver (whose vote picks the winner), the agent runs, the
    // output adapter, the validator, the task and the iteration cap.
    const result = await runLoop({ ...fanout, ctx: { sandboxClient, traceEmitter: demoConsole ? demoConsole.tee(reporter) : reporter } })
    await demoConsole?.record({ ok: result.winner !== undefined, costUsd: result.iterations.reduce((sum, it) => sum + it.costUsd, 0) })

    print()
    print('verdicts:')
    for (const line of explainVerdicts(result.iterations, fanout.task.maxDiffLines ?? 400)) print(line)
    print()
    const winner = result.winner
    if (!winner) {
      print(`no candidate passed validation (decision: ${result.decision})`)
      return 1
    }
    print(`winner: ${winner.agentRunName} (iteration #${winner.iterationIndex}, score ${winner.verdict?.score.toFixed(3)})`)
    print(`tests: ${winner.output.testResult.passed ? 'passed' : 'failed'}; diff: ${winner.output.diffStats.filesChanged} file(s), +${winner.output.diffStats.insertions} -${winner.output.diffStats.deletions}`)
    print('--- winning patch ---')
    print(winner.output.patch.trimEnd())
    print('---------------------')
    print()
    print('trace:')
    print(renderLoopTrace(reporter.events, { color: process.stdout.isTTY === true }))
    if (keep) print(`\nkept for inspection: ${tmp}`)

    // The demo checks its own outcome, so `pnpm demo` fails loudly if the safety checks ever stop biting.
    const failedChecksOf = (name: string) => result.iterations.find((it) => it.agentRunName === name)?.verdict?.failedChecks ?? []
    const expected =
      winner.agentRunName === 'coder:fix-bug' &&
      failedChecksOf('coder:leak-secret').includes('secretFloor') &&
      failedChecksOf('coder:do-nothing').includes('noop')
    print()
    print(expected ? 'outcome: as expected (the fix won; the secret leak and the no-op were rejected)' : 'outcome: UNEXPECTED')
    return expected ? 0 : 1
  } finally {
    await demoConsole?.serveUntilStopped()
    if (!keep) {
      await sandboxClient.deleteAll()
      await rm(tmp, { recursive: true, force: true })
    }
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`coder-loop demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  },
)
