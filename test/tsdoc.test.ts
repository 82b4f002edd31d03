// Every public export of every published entry point carries a one-line TSDoc
// with a stability tag. Checked with the TypeScript compiler over the same
// entry files the packages' exports maps point at.
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const packages = ['core', 'sandbox-local', 'conversations', 'mcp', 'improvement', 'analyst-loop', 'cli', 'worker']

function entryFiles(): string[] {
  const files: string[] = []
  for (const p of packages) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', p, 'package.json'), 'utf8'))
    for (const [sub, target] of Object.entries<Record<string, string> | string>(pkg.exports)) {
      if (typeof target === 'object' && target.source && !sub.endsWith('/bin')) files.push(join(root, 'packages', p, target.source))
    }
  }
  return files
}

function stabilityTag(decl: ts.Declaration): string | undefined {
  for (const tag of ts.getJSDocTags(decl)) {
    const name = tag.tagName.text
    if (name === 'stable' || name === 'experimental') return name
  }
  // A tag on the enclosing statement counts too (e.g. `export const a = …, b = …`).
  const stmt = ts.isVariableDeclaration(decl) ? decl.parent?.parent : undefined
  if (stmt) for (const tag of ts.getJSDocTags(stmt)) if (['stable', 'experimental'].includes(tag.tagName.text)) return tag.tagName.text
  const text = decl.getSourceFile().getFullText()
  const ranges = ts.getLeadingCommentRanges(text, (stmt ?? decl).getFullStart()) ?? []
  const doc = ranges.map((r) => text.slice(r.pos, r.end)).join('\n')
  return /@(stable|experimental)\b/.exec(doc)?.[1]
}

function isFunction(decl: ts.Declaration): boolean {
  if (ts.isFunctionDeclaration(decl)) return true
  return ts.isVariableDeclaration(decl) && !!decl.initializer && (ts.isArrowFunction(decl.initializer) || ts.isFunctionExpression(decl.initializer))
}

function hasExample(decl: ts.Declaration): boolean {
  const owners = ts.isVariableDeclaration(decl) ? [decl, decl.parent.parent] : [decl]
  return owners.some((o) => ts.getJSDocTags(o).some((t) => t.tagName.text === 'example'))
}

describe('public API documentation', () => {
  it('tags every export @stable or @experimental, and gives every exported function an @example', () => {
    const files = entryFiles()
    const program = ts.createProgram(files, {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      customConditions: ['source'],
      skipLibCheck: true,
      noEmit: true,
    })
    const checker = program.getTypeChecker()
    const missing: string[] = []
    const noExample: string[] = []
    let checked = 0
    for (const file of files) {
      const sf = program.getSourceFile(file)
      expect(sf, file).toBeDefined()
      const moduleSymbol = checker.getSymbolAtLocation(sf!)
      if (!moduleSymbol) continue // an entry with no exports yet
      for (const exported of checker.getExportsOfModule(moduleSymbol)) {
        const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
        const decls = (symbol.declarations ?? []).filter((d) => d.getSourceFile().fileName.startsWith(join(root, 'packages')))
        if (decls.length === 0) continue
        checked++
        const d = decls[0]!
        const where = `${d.getSourceFile().fileName.slice(root.length + 1)}:${d.getSourceFile().getLineAndCharacterOfPosition(d.getStart()).line + 1}`
        if (!decls.some((decl) => stabilityTag(decl) !== undefined)) missing.push(`${exported.name} (${where})`)
        if (isFunction(d) && !hasExample(d)) noExample.push(`${exported.name} (${where})`)
      }
    }
    expect(checked).toBeGreaterThan(300)
    expect(missing, `exports without @stable/@experimental:\n${missing.join('\n')}`).toEqual([])
    expect(noExample, `exported functions without an @example:\n${noExample.join('\n')}`).toEqual([])
  }, 120_000)
})
