/**
 * `pnpm check:snippets`: type-checks every TypeScript block of the repo's docs
 * against the PACKED packages installed in a throwaway consumer project, and
 * runs the blocks marked `runnable`. Marker rules: bin/lib/snippets.ts.
 *
 * Usage: tsx bin/check-snippets.ts [--project <dir>] [--keep] [file.md ...]
 * Exit codes: 0 every block passes · 1 a block fails (file:line on stderr)
 *             · 2 usage error or the packages could not be packed/installed.
 * stdout: one JSON object { ok, blocks, failures, pending, runs } (always parses).
 */
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { childEnv, createPackedProject, type PackedProject, ROOT } from './lib/packed-project.js'
import { collectSnippets, docFiles, type SnippetProblem, snippetFileName, transpileSnippet, typecheckSnippets } from './lib/snippets.js'

const run = promisify(execFile)
const USAGE = `usage: check-snippets [--project <dir>] [--keep] [file.md ...]

Type-checks every \`ts\` block of README.md, docs/** (not docs/api), package and
example READMEs and skills/**/SKILL.md against the packed packages; runs the
blocks marked \`runnable\`. Markers: \`ts partial\` (or a first line \`// partial\`),
\`ts runnable\`, \`ts pending\`.

  --project <dir>  reuse a consumer project that already has the tarballs installed
  --keep           keep the throwaway project (its path goes to stderr)
  --help, --version

exit codes: 0 ok, 1 a block failed, 2 usage or setup error`

/** Dependencies a reader's snippet may import besides the packages themselves. */
const CONSUMER_DEPS = { '@types/node': '20.19.43', '@types/better-sqlite3': '7.6.13', '@types/pg': '8.23.1', zod: '4.6.7' }
/** Keys that would switch examples off the embedded defaults. */
const KEY_VARS = /^(OPENAI_API_KEY|TANGLE_API_KEY|ANTHROPIC_API_KEY|OTEL_EXPORTER_OTLP_ENDPOINT)$/

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>
  try {
    args = parse()
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  if (args.values.help) {
    process.stderr.write(`${USAGE}\n`)
    return 0
  }
  if (args.values.version) {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'packages/agent-runtime/package.json'), 'utf8'))
    process.stdout.write(`${JSON.stringify({ version })}\n`)
    return 0
  }
  const files = args.positionals.length ? args.positionals : docFiles(ROOT)
  const snippets = collectSnippets(ROOT, files)
  process.stderr.write(`› ${snippets.length} TypeScript blocks in ${files.length} docs\n`)

  let packed: PackedProject | undefined
  let project = args.values.project
  try {
    if (!project) {
      packed = await createPackedProject({ prefix: 'agent-runtime-snippets-', extraDependencies: CONSUMER_DEPS, log: (l) => process.stderr.write(`› ${l}\n`) })
      project = packed.project
    }
    process.stderr.write('› type-checking\n')
    const dir = join(project, 'snippets')
    const problems = typecheckSnippets(snippets, dir)
    const failedBlocks = new Set(problems.map((p) => `${p.file}:${blockOf(p)}`))
    const runs: { file: string; line: number; ok: boolean }[] = []
    const env = Object.fromEntries(Object.entries(childEnv).filter(([k]) => !KEY_VARS.test(k)))
    for (const s of snippets.filter((s) => s.runnable && !failedBlocks.has(`${s.file}:${s.line}`))) {
      const path = join(dir, snippetFileName(s).replace(/\.ts$/, '.mjs'))
      writeFileSync(path, transpileSnippet(s))
      process.stderr.write(`› running ${s.file}:${s.line}\n`)
      try {
        await run(process.execPath, [path], { cwd: project, env, timeout: 120_000, maxBuffer: 16 << 20 })
        runs.push({ file: s.file, line: s.line, ok: true })
      } catch (err) {
        const e = err as { code?: number; stderr?: string; message: string }
        const tail = (e.stderr || e.message).trim().split('\n').slice(-5).join(' | ')
        problems.push({ file: s.file, line: s.line, column: 1, code: 'run', message: `exit ${e.code ?? '?'}: ${tail}`, pending: s.pending })
        runs.push({ file: s.file, line: s.line, ok: false })
      }
    }
    const failures = problems.filter((p) => !p.pending)
    const pending = problems.filter((p) => p.pending)
    for (const p of failures) process.stderr.write(`${p.file}:${p.line}:${p.column} ${p.code} ${p.message}\n`)
    for (const p of pending) process.stderr.write(`(pending) ${p.file}:${p.line}:${p.column} ${p.code} ${p.message}\n`)
    const pendingBlocks = snippets.filter((s) => s.pending)
    for (const s of pendingBlocks) {
      if (!problems.some((p) => p.file === s.file && blockOf(p) === s.line)) {
        process.stderr.write(`${s.file}:${s.line} passes now: drop its \`pending\` marker\n`)
      }
    }
    process.stderr.write(`› ${snippets.length} blocks, ${failures.length} errors, ${pending.length} in pending blocks, ${runs.length} run\n`)
    process.stdout.write(`${JSON.stringify({ ok: failures.length === 0, blocks: snippets.length, failures, pending, runs })}\n`)
    return failures.length ? 1 : 0
  } finally {
    if (packed && args.values.keep) process.stderr.write(`› kept ${packed.project}\n`)
    else packed?.dispose()
  }

  /** The opening-fence line of the block a problem belongs to. */
  function blockOf(p: SnippetProblem): number {
    const own = snippets.filter((s) => s.file === p.file && s.line <= p.line)
    return own[own.length - 1]?.line ?? p.line
  }
}

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: { project: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean' }, version: { type: 'boolean' } },
  })
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`check-snippets: ${(err as Error).stack ?? err}\n`)
    process.stdout.write(`${JSON.stringify({ ok: false, error: String((err as Error).message ?? err) })}\n`)
    process.exit(2)
  },
)
