/**
 * Extracts the TypeScript code blocks of the repo's Markdown docs and type-checks
 * them as a consumer's modules. The rules (also in docs/writing-docs.md):
 *
 * - every ```` ```ts ```` / ```` ```typescript ```` block is checked, strict, as
 *   an ES module of a consumer project (`export {}` is appended);
 * - ```` ```ts partial ```` (or a first line `// partial`) marks a deliberate
 *   excerpt: names it uses but does not declare (`db`, `request`, your engine)
 *   and modules that are not installed (other than ours) stand for the reader's own code, so
 *   "cannot find name/module" (and "no value for shorthand property") is not
 *   reported; every other error is;
 * - ```` ```ts runnable ```` blocks are also run with Node after the type
 *   check, with no API keys in the environment (the embedded defaults);
 * - ```` ```ts pending ```` marks a block written against an API that is not
 *   merged yet: it is checked and reported, but does not fail the check
 *   (markers combine: ```` ```ts partial pending ````).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

/** One code block of a Markdown file. */
export interface Snippet {
  /** The Markdown file, relative to the repo root. */
  file: string
  /** 1-based line of the opening fence. */
  line: number
  /** The block's source, without fences. */
  code: string
  /** A deliberate excerpt: undeclared names and uninstalled modules are the reader's own. */
  partial: boolean
  /** Written against an API not merged yet: reported, never failing. */
  pending: boolean
  /** Also run it after the type check. */
  runnable: boolean
}

/** A problem found in a block, at its place in the Markdown file. */
export interface SnippetProblem {
  file: string
  line: number
  column: number
  /** `TS2304`, or `run` for a runnable block that failed. */
  code: string
  message: string
  /** True when the block is marked `pending`: reported, not failing. */
  pending: boolean
}

const FENCE = /^(\s*)(`{3,})\s*([\w-]*)(.*)$/
const TS_LANGS = new Set(['ts', 'typescript'])

/** Extracts every `ts`/`typescript` fenced block of a Markdown text, with its markers. */
export function extractSnippets(markdown: string, file: string): Snippet[] {
  const lines = markdown.split('\n')
  const out: Snippet[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (!open) continue
    const [, indent, ticks, lang, rest] = open
    let end = i + 1
    while (end < lines.length && !new RegExp(`^\\s*${ticks}\\s*$`).test(lines[end]!)) end++
    if (TS_LANGS.has(lang!.toLowerCase())) {
      const words = new Set(rest!.trim().split(/[\s,]+/).filter(Boolean))
      const body = lines.slice(i + 1, end).map((l) => (l.startsWith(indent!) ? l.slice(indent!.length) : l))
      const partial = words.has('partial') || /^\s*\/\/\s*partial\b/.test(body[0] ?? '')
      out.push({ file, line: i + 1, code: body.join('\n'), partial, pending: words.has('pending'), runnable: words.has('runnable') })
    }
    i = end
  }
  return out
}

/** The docs the check covers: README.md, docs/** (not docs/api), package and example READMEs, skills' SKILL.md. */
export function docFiles(root: string): string[] {
  const files: string[] = []
  const walk = (dir: string, keep: (name: string) => boolean, skip: (path: string) => boolean = () => false) => {
    if (!existsSync(dir)) return
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name)
      if (skip(path) || name === 'node_modules') continue
      if (statSync(path).isDirectory()) walk(path, keep, skip)
      else if (keep(name)) files.push(relative(root, path))
    }
  }
  if (existsSync(join(root, 'README.md'))) files.push('README.md')
  walk(join(root, 'docs'), (n) => n.endsWith('.md'), (p) => p === join(root, 'docs', 'api'))
  for (const group of ['packages', 'examples']) {
    const dir = join(root, group)
    if (!existsSync(dir)) continue
    for (const name of readdirSync(dir).sort()) if (existsSync(join(dir, name, 'README.md'))) files.push(join(group, name, 'README.md'))
  }
  walk(join(root, 'skills'), (n) => n === 'SKILL.md')
  return files
}


/** "Cannot find name/module/namespace", "no value for a shorthand property": what a partial block may leave to the reader. */
const PARTIAL_IGNORED = new Set([2304, 2552, 2307, 2503, 2582, 2591, 18004])

/** Compiler options of a strict consumer project (ESM, NodeNext). */
export function consumerCompilerOptions(extra: ts.CompilerOptions = {}): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    esModuleInterop: true,
    types: ['node'],
    ...extra,
  }
}

/** The file name a block is written to. */
export function snippetFileName(s: Snippet): string {
  return `${s.file.replace(/[^\w.-]+/g, '_')}_L${s.line}.ts`
}

/**
 * Writes each block as a module in `dir` (which must resolve the packages from
 * its `node_modules`), type-checks them together and returns the problems at
 * their Markdown positions.
 */
export function typecheckSnippets(snippets: Snippet[], dir: string, options: ts.CompilerOptions = consumerCompilerOptions()): SnippetProblem[] {
  mkdirSync(dir, { recursive: true })
  const byPath = new Map<string, Snippet>()
  for (const s of snippets) {
    const path = join(dir, snippetFileName(s))
    writeFileSync(path, `${s.code}\nexport {}\n`)
    byPath.set(path, s)
  }
  const program = ts.createProgram([...byPath.keys()], options)
  const problems: SnippetProblem[] = []
  for (const [path, s] of byPath) {
    const sf = program.getSourceFile(path)
    if (!sf) throw new Error(`TypeScript did not load ${path}`)
    for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
      const message = ts.flattenDiagnosticMessageText(d.messageText, ' ')
      // A partial block may use the reader's own modules, never a misspelt one of ours.
      const ours = d.code === 2307 && /['"]@tangle-network\/agent-runtime/.test(message)
      if (s.partial && PARTIAL_IGNORED.has(d.code) && !ours) continue
      const pos = d.start === undefined ? { line: 0, character: 0 } : sf.getLineAndCharacterOfPosition(d.start)
      problems.push({
        file: s.file,
        line: s.line + 1 + pos.line,
        column: pos.character + 1,
        code: `TS${d.code}`,
        message,
        pending: s.pending,
      })
    }
  }
  return problems
}

/** Transpiles a block to an ES module for running it with Node. */
export function transpileSnippet(s: Snippet): string {
  return ts.transpileModule(`${s.code}\nexport {}\n`, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    fileName: snippetFileName(s),
  }).outputText
}

/** Reads and extracts every block of the given docs. */
export function collectSnippets(root: string, files: string[]): Snippet[] {
  return files.flatMap((f) => extractSnippets(readFileSync(join(root, f), 'utf8'), f))
}
