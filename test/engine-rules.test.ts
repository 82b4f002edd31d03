// Enforces the engine rule of DESIGN.md §3: engine code (packages/core/src)
// reads no wall clock, randomness, network or environment directly. Those come
// through injected adapters (a Clock, an IdSource, a fetchImpl, an env map),
// each with one default in one sanctioned place listed below. The check walks
// the TypeScript syntax tree, so comments and strings never count.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', 'packages', 'core', 'src')

type Rule = 'Date.now' | 'new Date()' | 'Math.random' | 'crypto random' | 'fetch' | 'process'

/**
 * The only places allowed to touch each ambient source, and why. Everything
 * else must take the source as a parameter (see packages/core/src/util/clock.ts).
 */
const SANCTIONED: Record<string, { rules: Rule[]; why: string }> = {
  'util/clock.ts': { rules: ['Date.now', 'crypto random'], why: 'the default Clock and IdSource every engine function falls back to' },
  'backends/openai-compatible.ts': { rules: ['fetch'], why: 'an HTTP backend (adapter); fetchImpl overrides it' },
  'models/model-resolution.ts': { rules: ['fetch', 'process'], why: 'default fetchImpl and env of model resolution, both injectable' },
  'backends/default-backend.ts': { rules: ['process'], why: 'default env of the default backend; an env argument overrides it' },
  'otel/env.ts': { rules: ['process'], why: 'default env of the OTEL options; every caller can pass env' },
}

function engineFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...engineFiles(path))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

/** Every use of an ambient source in one file, as `rule @ line`. */
function ambientUses(source: string, fileName = 'file.ts'): { rule: Rule; line: number }[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true)
  const uses: { rule: Rule; line: number }[] = []
  const add = (rule: Rule, node: ts.Node) => uses.push({ rule, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 })
  const unwrap = (e: ts.Expression): ts.Expression => {
    let x = e
    while (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isNonNullExpression(x) || ts.isTypeAssertionExpression(x)) x = x.expression
    return x
  }
  const isGlobal = (e: ts.Expression) => {
    const x = unwrap(e)
    return ts.isIdentifier(x) && (x.text === 'globalThis' || x.text === 'self' || x.text === 'window')
  }
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAccessExpression(node)) {
      const target = unwrap(node.expression)
      const name = node.name.text
      if (ts.isIdentifier(target) && target.text === 'Date' && name === 'now') add('Date.now', node)
      if (ts.isIdentifier(target) && target.text === 'Math' && name === 'random') add('Math.random', node)
      if ((name === 'randomUUID' || name === 'getRandomValues') && (ts.isIdentifier(target) ? target.text === 'crypto' : ts.isPropertyAccessExpression(target) && target.name.text === 'crypto'))
        add('crypto random', node)
      if (name === 'fetch' && isGlobal(target)) add('fetch', node)
      if (name === 'process' && isGlobal(target)) add('process', node)
      if (ts.isIdentifier(target) && target.text === 'process' && name === 'env') add('process', node)
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Date' && (node.arguments?.length ?? 0) === 0) {
      add('new Date()', node)
    } else if (ts.isCallExpression(node) && ts.isIdentifier(unwrap(node.expression)) && (unwrap(node.expression) as ts.Identifier).text === 'fetch') {
      add('fetch', node)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return uses
}

describe('engine rule: no ambient clock, randomness, network or environment', () => {
  const files = engineFiles(root)

  it('engine code reaches them only in the sanctioned places', () => {
    expect(files.length).toBeGreaterThan(50)
    const violations: string[] = []
    for (const file of files) {
      const rel = relative(root, file).split('\\').join('/')
      const allowed = SANCTIONED[rel]?.rules ?? []
      for (const use of ambientUses(readFileSync(file, 'utf8'), rel)) {
        if (!allowed.includes(use.rule)) violations.push(`packages/core/src/${rel}:${use.line} uses ${use.rule}; take it through an injected Clock, IdSource, fetchImpl or env`)
      }
    }
    expect(violations).toEqual([])
  })

  it('every sanctioned place still exists and still needs its exemption', () => {
    for (const [rel, { rules }] of Object.entries(SANCTIONED)) {
      const found = new Set(ambientUses(readFileSync(join(root, rel), 'utf8'), rel).map((u) => u.rule))
      for (const rule of rules) expect(found.has(rule), `${rel} no longer uses ${rule}; drop it from SANCTIONED`).toBe(true)
    }
  })

  it('the checker sees each ambient source however it is spelled, and ignores comments and strings', () => {
    const code = [
      'const a = Date.now()',
      'const b = Math.random()',
      'const c = new Date()',
      'const d = new Date(0)',
      'await fetch("http://x")',
      'await globalThis.fetch("http://x")',
      'const e = process.env.KEY',
      'const f = (globalThis as { process?: unknown }).process',
      'const g = crypto.randomUUID()',
      'const h = globalThis.crypto.getRandomValues(new Uint8Array(1))',
      '// Date.now() in a comment',
      'const s = "Math.random()"',
      'const ok = options.fetchImpl(url)',
    ].join('\n')
    expect(ambientUses(code).map((u) => `${u.rule}@${u.line}`)).toEqual([
      'Date.now@1',
      'Math.random@2',
      'new Date()@3',
      'fetch@5',
      'fetch@6',
      'process@7',
      'process@8',
      'crypto random@9',
      'crypto random@10',
    ])
  })
})
