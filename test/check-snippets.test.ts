/**
 * The doc-snippet check (`pnpm check:snippets`): block extraction and its
 * markers, the files it covers, and the type check mapping each error to the
 * Markdown file and line. Type checks here resolve the packages to their
 * sources (the `source` condition) so no build is needed; CI runs the same
 * check against the packed packages.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { consumerCompilerOptions, docFiles, extractSnippets, type Snippet, transpileSnippet, typecheckSnippets } from '../bin/lib/snippets.js'

const ROOT = join(import.meta.dirname, '..')
const fence = '```'

describe('extractSnippets', () => {
  it('takes ts/typescript blocks with their fence line and markers, and skips other languages', () => {
    const md = [
      '# Title', // 1
      `${fence}sh`, // 2
      'pnpm test', // 3
      fence, // 4
      `${fence}ts`, // 5
      'const a = 1', // 6
      fence, // 7
      `${fence}typescript runnable`, // 8
      'console.log(1)', // 9
      fence, // 10
      `${fence}ts partial`, // 11
      'db.insert()', // 12
      fence, // 13
      `${fence}ts`, // 14
      '// partial: db is yours', // 15
      'db.insert()', // 16
      fence, // 17
      `${fence}ts pending partial`, // 18
      'x()', // 19
      fence, // 20
      '- item', // 21
      `  ${fence}ts`, // 22
      '  const indented = true', // 23
      `  ${fence}`, // 24
    ].join('\n')
    const blocks = extractSnippets(md, 'doc.md')
    expect(blocks.map(({ line, partial, pending, runnable }) => ({ line, partial, pending, runnable }))).toEqual([
      { line: 5, partial: false, pending: false, runnable: false },
      { line: 8, partial: false, pending: false, runnable: true },
      { line: 11, partial: true, pending: false, runnable: false },
      { line: 14, partial: true, pending: false, runnable: false },
      { line: 18, partial: true, pending: true, runnable: false },
      { line: 22, partial: false, pending: false, runnable: false },
    ])
    expect(blocks[0]!.code).toBe('const a = 1')
    expect(blocks[5]!.code).toBe('const indented = true')
  })

  it('does not read a ts fence inside another block as a block', () => {
    const md = ['````md', `${fence}ts`, 'not code', fence, '````', `${fence}ts`, 'const real = 1', fence].join('\n')
    expect(extractSnippets(md, 'doc.md').map((b) => b.line)).toEqual([6])
  })
})

describe('docFiles', () => {
  it('covers the README, docs/ (not docs/api), package and example READMEs and skills', () => {
    const files = docFiles(ROOT)
    expect(files[0]).toBe('README.md')
    expect(files).toContain('docs/concepts.md')
    expect(files).toContain('packages/core/README.md')
    expect(files).toContain('examples/basic-task/README.md')
    expect(files).toContain('skills/agent-runtime-adoption/SKILL.md')
    expect(files.filter((f) => f.startsWith('docs/api/'))).toEqual([])
  })
})

describe('typecheckSnippets', () => {
  // A consumer-shaped folder whose node_modules is the workspace's.
  const dir = mkdtempSync(join(tmpdir(), 'agent-runtime-snippet-test-'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const options = consumerCompilerOptions({ customConditions: ['source'] })

  const untyped = [
    "import { researchLoopRunner } from '@tangle-network/agent-runtime'",
    'export const runner = researchLoopRunner({',
    '  research: (_round, vetoed) => findSources(vetoed),',
    "  gate: async (source) => (source.quote ? { accepted: true } : { accepted: false }),",
    '})',
  ].join('\n')
  const typed = [
    "import { researchLoopRunner } from '@tangle-network/agent-runtime'",
    'interface Source { url: string; quote?: string }',
    'declare function findSources(avoid: unknown[]): Promise<Source[]>',
    'export const runner = researchLoopRunner<Source>({',
    '  research: (_round, vetoed) => findSources(vetoed),',
    "  gate: async (source) => (source.quote ? { accepted: true } : { accepted: false }),",
    '})',
  ].join('\n')
  const block = (code: string, over: Partial<Snippet> = {}): Snippet => ({ file: 'README.md', line: 40, code, partial: false, pending: false, runnable: false, ...over })

  it("reports the core README's old delegated loop at its Markdown lines, and passes once typed", () => {
    const problems = typecheckSnippets(
      [block(untyped), block(untyped, { file: 'docs/x.md', line: 7, partial: true }), block(typed, { file: 'docs/y.md', line: 1 }), block(untyped, { file: 'docs/z.md', pending: true })],
      dir,
      options,
    )
    const strict = problems.filter((p) => p.file === 'README.md')
    // Fence at line 40: the block's first line is 41, `findSources` is on its third (43), `source.quote` on its fourth (44).
    expect(strict).toContainEqual(expect.objectContaining({ line: 43, code: 'TS2304', pending: false }))
    expect(strict).toContainEqual(expect.objectContaining({ line: 44, column: 28, code: 'TS18046', pending: false }))
    // partial: the undeclared engine is the reader's; the unknown `source` is still an error.
    expect(problems.filter((p) => p.file === 'docs/x.md').map((p) => `${p.line} ${p.code}`)).toEqual(['11 TS18046'])
    expect(problems.filter((p) => p.file === 'docs/y.md')).toEqual([])
    // pending: reported, flagged so it does not fail the check.
    const pending = problems.filter((p) => p.file === 'docs/z.md')
    expect(pending.length).toBeGreaterThan(0)
    expect(pending.every((p) => p.pending)).toBe(true)
  }, 120_000)

  it('reports a missing export, a syntax error and a misspelt subpath of ours in a partial block', () => {
    const problems = typecheckSnippets(
      [
        block("import { noSuchExport } from '@tangle-network/agent-runtime'\nnoSuchExport()", { file: 'a.md', partial: true }),
        block('const x = {', { file: 'b.md' }),
        block("import { runLoop } from '@tangle-network/agent-runtime/loopz'\nimport { thing } from 'my-own-lib'\nrunLoop(thing)", { file: 'c.md', partial: true }),
      ],
      dir,
      options,
    )
    expect(problems.find((p) => p.file === 'a.md')?.code).toBe('TS2305')
    expect(problems.some((p) => p.file === 'b.md')).toBe(true)
    // partial: the reader's own module may be missing, a misspelt subpath of ours may not.
    expect(problems.filter((p) => p.file === 'c.md').map((p) => `${p.line} ${p.code}`)).toEqual(['41 TS2307'])
  }, 120_000)
})

describe('transpileSnippet', () => {
  it('turns a block into a plain ES module for Node', () => {
    const js = transpileSnippet({ file: 'a.md', line: 1, code: 'const n: number = 1\nconsole.log(n)', partial: false, pending: false, runnable: true })
    expect(js).toContain('const n = 1')
    expect(js).toContain('export {}')
    expect(js).not.toContain(': number')
  })
})
