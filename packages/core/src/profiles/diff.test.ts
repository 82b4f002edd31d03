import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseUnifiedDiff } from '@tangle-network/agent-runtime-core/profiles'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' })

describe('parseUnifiedDiff on real git output', () => {
  const dir = mkdtempSync(join(tmpdir(), 'profiles-diff-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('reads added, deleted, binary, renamed (quoted unicode) and modified files with their counts', () => {
    git(dir, 'init', '-q')
    writeFileSync(join(dir, 'x.txt'), 'a\nb\nc\n')
    writeFileSync(join(dir, 'gone.txt'), 'old\nolder\n')
    writeFileSync(join(dir, 'ren.txt'), 'keep me\nline2\nline3\nline4\n')
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', 'init')
    // "-- dashes" becomes "+-- dashes"; "--- b" as a removed line must not read as a header.
    writeFileSync(join(dir, 'x.txt'), '-- b\n-- dashes\nc\n')
    git(dir, 'rm', '-q', 'gone.txt')
    git(dir, 'mv', 'ren.txt', 'renamed file é.txt')
    writeFileSync(join(dir, '.env'), 'SECRET=1\n')
    writeFileSync(join(dir, 'k.p12'), Buffer.from([0, 1, 2, 0, 3]))
    git(dir, 'add', '-A')
    const raw = git(dir, 'diff', '--cached', '-M', 'HEAD')

    const parsed = parseUnifiedDiff(raw)
    expect(parsed.paths.sort()).toEqual(['.env', 'gone.txt', 'k.p12', 'ren.txt', 'renamed file é.txt', 'x.txt'].sort())
    const byPath = new Map(parsed.files.map((f) => [f.newPath ?? f.oldPath, f]))
    expect(byPath.get('.env')).toMatchObject({ oldPath: null, status: 'added', insertions: 1, deletions: 0 })
    expect(byPath.get('gone.txt')).toMatchObject({ newPath: null, status: 'deleted', insertions: 0, deletions: 2 })
    expect(byPath.get('k.p12')).toMatchObject({ oldPath: null, status: 'added', binary: true })
    expect(byPath.get('renamed file é.txt')).toMatchObject({ oldPath: 'ren.txt', status: 'renamed' })
    expect(byPath.get('x.txt')).toMatchObject({ status: 'modified', insertions: 2, deletions: 2 })
    expect(parsed.insertions).toBe(3)
    expect(parsed.deletions).toBe(4)
  })
})

describe('parseUnifiedDiff on hand-written diffs', () => {
  it('reads a plain `diff -u` with timestamps and no git prefixes', () => {
    const raw = [
      '--- src/app.js\t2024-01-01 00:00:00.000000000 +0000',
      '+++ src/app.js\t2024-01-02 00:00:00.000000000 +0000',
      '@@ -1,2 +1,3 @@',
      ' const a = 1',
      '-const b = 2',
      '+const b = 3',
      '+const c = 4',
      '',
    ].join('\n')
    expect(parseUnifiedDiff(raw)).toEqual({
      files: [{ oldPath: 'src/app.js', newPath: 'src/app.js', status: 'modified', insertions: 2, deletions: 1, binary: false }],
      paths: ['src/app.js'],
      insertions: 2,
      deletions: 1,
    })
  })

  it('treats /dev/null as no path on either side, and CRLF line ends like LF', () => {
    const raw = '--- /dev/null\r\n+++ b/new.txt\r\n@@ -0,0 +1 @@\r\n+hi\r\n--- a/old.txt\r\n+++ /dev/null\r\n@@ -1 +0,0 @@\r\n-bye\r\n'
    const parsed = parseUnifiedDiff(raw)
    expect(parsed.paths).toEqual(['new.txt', 'old.txt'])
    expect(parsed.files.map((f) => f.status)).toEqual(['added', 'deleted'])
  })

  it('reads a pure rename with no hunks and a mode-only change from the `diff --git` header', () => {
    const raw = [
      'diff --git a/secrets.json b/config.json',
      'similarity index 100%',
      'rename from secrets.json',
      'rename to config.json',
      'diff --git a/run.sh b/run.sh',
      'old mode 100644',
      'new mode 100755',
      '',
    ].join('\n')
    const parsed = parseUnifiedDiff(raw)
    expect(parsed.paths).toEqual(['secrets.json', 'config.json', 'run.sh'])
    expect(parsed.files[0]).toMatchObject({ status: 'renamed', oldPath: 'secrets.json', newPath: 'config.json' })
    expect(parsed.insertions + parsed.deletions).toBe(0)
  })

  it('reads an empty new file, which git prints with no ---/+++ lines at all', () => {
    const raw = 'diff --git a/config/.env b/config/.env\nnew file mode 100644\nindex 0000000..e69de29\n'
    expect(parseUnifiedDiff(raw).files).toEqual([{ oldPath: null, newPath: 'config/.env', status: 'added', insertions: 0, deletions: 0, binary: false }])
  })

  it('reads a header where only the new side is quoted', () => {
    const raw = 'diff --git a/plain.txt "b/sp ace\\303\\251.txt"\nold mode 100644\nnew mode 100755\n'
    expect(parseUnifiedDiff(raw).paths).toEqual(['plain.txt', 'sp aceé.txt'])
  })

  it('counts +/- lines after a malformed hunk header instead of giving up', () => {
    const raw = '--- a/f.txt\n+++ b/f.txt\n@@ broken @@\n-x\n+y\n+z\n'
    expect(parseUnifiedDiff(raw)).toMatchObject({ paths: ['f.txt'], insertions: 2, deletions: 1 })
  })

  it('returns an empty result for empty or non-diff text', () => {
    expect(parseUnifiedDiff('')).toEqual({ files: [], paths: [], insertions: 0, deletions: 0 })
    expect(parseUnifiedDiff('I fixed it, trust me.\n--- not a header\n')).toEqual({ files: [], paths: [], insertions: 0, deletions: 0 })
  })
})

/** Builds a git-style diff of generated files; the expected paths and counts come from the generator. */
const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/).filter((s) => s !== '.' && s !== '..')
const filePath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'))
// Content lines that look like headers ("-- x", "++ y", "@@") are the interesting cases.
const content = fc.oneof(fc.string({ maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, '')), fc.constantFrom('-- x', '++ y', '@@ -1 +1 @@', 'diff --git a/q b/q'))
const fileChange = fc.record({
  path: filePath,
  removed: fc.array(content, { maxLength: 5 }),
  added: fc.array(content, { maxLength: 5 }),
  context: fc.array(content, { maxLength: 3 }),
})

describe('parseUnifiedDiff properties', () => {
  it('never throws on arbitrary text and keeps counts non-negative', () => {
    const lineish = fc.oneof(
      fc.string(),
      fc.constantFrom('--- a/x', '+++ b/x', '--- /dev/null', '+++ /dev/null', '@@ -1,2 +1 @@', '@@', 'diff --git a/x b/y', 'rename from "q', 'Binary files a and b differ', '\\ No newline', '+', '-', ' '),
    )
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.array(lineish, { maxLength: 40 }).map((ls) => ls.join('\n'))), (raw) => {
        const parsed = parseUnifiedDiff(raw)
        expect(parsed.insertions).toBeGreaterThanOrEqual(0)
        expect(parsed.deletions).toBeGreaterThanOrEqual(0)
        expect(new Set(parsed.paths).size).toBe(parsed.paths.length)
      }),
      { numRuns: 500 },
    )
  })

  it('never throws on non-string input', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(parseUnifiedDiff(value as string).paths).toEqual([])
      }),
    )
  })

  it('recovers every path and exact line counts from generated git diffs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fileChange, { selector: (c) => c.path, minLength: 1, maxLength: 4 }), (changes) => {
        const lines: string[] = []
        for (const c of changes) {
          lines.push(`diff --git a/${c.path} b/${c.path}`, 'index 1111111..2222222 100644', `--- a/${c.path}`, `+++ b/${c.path}`)
          const oldCount = c.context.length + c.removed.length
          const newCount = c.context.length + c.added.length
          lines.push(`@@ -1,${oldCount} +1,${newCount} @@`)
          for (const l of c.context) lines.push(` ${l}`)
          for (const l of c.removed) lines.push(`-${l}`)
          for (const l of c.added) lines.push(`+${l}`)
        }
        const parsed = parseUnifiedDiff(`${lines.join('\n')}\n`)
        expect(parsed.paths).toEqual(changes.map((c) => c.path))
        expect(parsed.insertions).toBe(changes.reduce((n, c) => n + c.added.length, 0))
        expect(parsed.deletions).toBe(changes.reduce((n, c) => n + c.removed.length, 0))
      }),
      { numRuns: 300 },
    )
  })
})
