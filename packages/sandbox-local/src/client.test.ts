import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { ConfigError, reduceSandboxEvents, ValidationError } from '@tangle-network/agent-runtime-core'
import {
  createLocalSandboxClient,
  diffWorkdir,
  initGitRepo,
  type LocalSandboxClient,
  scriptedHarness,
  usageEvent,
} from '@tangle-network/agent-runtime-sandbox-local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' })
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

let tmp: string
let repo: string
let client: LocalSandboxClient

const fixer = scriptedHarness(async ({ prompt, files }) => {
  const src = await files.read('src/sum.js')
  await files.write('src/sum.js', src.replace('a - b', 'a + b'))
  await files.write('notes/NEW.md', `prompt: ${prompt}\n`)
  return ['fixed ', 'sum', usageEvent({ inputTokens: 10, outputTokens: 4, costUsd: 0.001 })]
})

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sbx-local-test-'))
  repo = path.join(tmp, 'repo')
  await initGitRepo(repo, {
    'src/sum.js': 'export const sum = (a, b) => a - b\n',
    'README.md': '# sample\n',
  })
  client = createLocalSandboxClient({
    root: path.join(tmp, 'boxes'),
    harnesses: { scripted: fixer, echo: scriptedHarness(({ prompt }) => `echo: ${prompt}`) },
    defaultHarness: 'scripted',
  })
})

afterAll(async () => {
  await client.deleteAll()
  await rm(tmp, { recursive: true, force: true })
})

describe('initGitRepo', () => {
  it('creates a repository with one commit holding the files', async () => {
    const dir = path.join(tmp, 'init-check')
    const { commit } = await initGitRepo(dir, { 'a/b.txt': 'hi\n' }, { message: 'seed' })
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(commit)
    expect(git(dir, 'log', '--format=%s').trim()).toBe('seed')
    expect(git(dir, 'ls-files').trim()).toBe('a/b.txt')
  })

  it('rejects file paths outside the repository', async () => {
    const err = await initGitRepo(path.join(tmp, 'init-bad'), { '../evil.txt': 'x' }).catch((e) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect(err.code).toBe('validation')
    expect(err.message).toContain('../evil.txt')
  })
})

describe('worktree boxes', () => {
  it('creates a worktree on a throwaway branch and removes both on delete', async () => {
    const box = await client.create({ metadata: { repoRoot: repo } })
    expect(box.repoRoot).toBe(await realRepo())
    expect(box.branch).toBe(`agent-runtime/${box.id}`)
    expect(git(repo, 'worktree', 'list')).toContain(box.workdir)
    expect(git(repo, 'branch', '--list', box.branch!).trim()).not.toBe('')
    expect(await box.read('src/sum.js')).toContain('a - b')

    await box.delete()
    expect(existsSync(box.workdir)).toBe(false)
    expect(git(repo, 'worktree', 'list')).not.toContain(box.workdir)
    expect(git(repo, 'branch', '--list', box.branch!).trim()).toBe('')
    // The main checkout is untouched.
    expect(git(repo, 'status', '--porcelain').trim()).toBe('')
    expect(await readFile(path.join(repo, 'src/sum.js'), 'utf8')).toContain('a - b')
    await box.delete()
  })

  it('accepts the repository as a git.url path or file:// URL, at a given ref', async () => {
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'second')
    const first = git(repo, 'rev-parse', 'HEAD~1').trim()
    const byPath = await client.create({ git: { url: repo, ref: 'HEAD~1' } })
    const byUrl = await client.create({ git: { url: `file://${repo}` } })
    try {
      expect(byPath.baseCommit).toBe(first)
      expect(byUrl.baseCommit).toBe(git(repo, 'rev-parse', 'HEAD').trim())
      expect(git(byPath.workdir, 'rev-parse', 'HEAD').trim()).toBe(first)
    } finally {
      await byPath.delete()
      await byUrl.delete()
    }
  })

  it('runs the scripted harness and diffs its edits, new files included', async () => {
    const box = await client.create({ metadata: { repoRoot: repo } })
    try {
      const events = await collect(box.streamPrompt('fix the sign'))
      for (const e of events) {
        expect(typeof e.type).toBe('string')
        expect(typeof e.data).toBe('object')
      }
      const turn = await reduceSandboxEvents(events)
      expect(turn.text).toBe('fixed sum')
      expect(turn.usage).toEqual({ inputTokens: 10, outputTokens: 4, costUsd: 0.001 })
      expect(events.at(-1)).toEqual({ type: 'result', data: { finalText: 'fixed sum' } })

      const diff = await box.git.diff()
      expect(diff.files).toEqual([
        { path: 'notes/NEW.md', status: 'added', additions: 1, deletions: 0 },
        { path: 'src/sum.js', status: 'modified', additions: 1, deletions: 1 },
      ])
      expect(diff.additions).toBe(2)
      expect(diff.deletions).toBe(1)
      expect(diff.raw).toContain('+export const sum = (a, b) => a + b')
      expect(diff.raw).toContain('+++ b/notes/NEW.md')
      // The throwaway index leaves the box's own index alone: NEW.md is still untracked there.
      expect(git(box.workdir, 'status', '--porcelain')).toContain('?? notes/')
    } finally {
      await box.delete()
    }
  })

  it('counts commits made in the box and deleted files in the diff', async () => {
    const box = await client.create({ metadata: { repoRoot: repo } })
    try {
      await box.write('extra.txt', 'one\ntwo\n')
      await box.exec('git add extra.txt && git -c user.name=a -c user.email=a@a commit -q -m extra && rm README.md')
      const diff = await box.git.diff()
      expect(diff.files).toEqual([
        { path: 'README.md', status: 'deleted', additions: 0, deletions: 1 },
        { path: 'extra.txt', status: 'added', additions: 2, deletions: 0 },
      ])
      const sinceHead = await box.git.diff('HEAD')
      expect(sinceHead.files?.map((f) => f.path)).toEqual(['README.md'])
    } finally {
      await box.delete()
    }
  })

  it('keeps concurrently created boxes of one repository isolated', async () => {
    const boxes = await Promise.all(Array.from({ length: 5 }, () => client.create({ metadata: { repoRoot: repo } })))
    try {
      expect(new Set(boxes.map((b) => b.id)).size).toBe(5)
      expect(new Set(boxes.map((b) => b.workdir)).size).toBe(5)
      await Promise.all(boxes.map((b, i) => b.write('src/sum.js', `export const sum = () => ${i}\n`)))
      for (const [i, b] of boxes.entries()) {
        expect(await b.read('src/sum.js')).toBe(`export const sum = () => ${i}\n`)
        const diff = await b.git.diff()
        expect(diff.files?.map((f) => f.path)).toEqual(['src/sum.js'])
      }
    } finally {
      await Promise.all(boxes.map((b) => b.delete()))
    }
    const list = git(repo, 'worktree', 'list', '--porcelain')
    for (const b of boxes) expect(list).not.toContain(b.workdir)
    expect(git(repo, 'branch', '--list', 'agent-runtime/*').trim()).toBe('')
  })

  it('rejects a path that is not a repository, a missing ref and a remote URL', async () => {
    const notRepo = await mkdtemp(path.join(tmp, 'plain-'))
    const e1 = await client.create({ metadata: { repoRoot: notRepo } }).catch((e) => e)
    expect(e1).toBeInstanceOf(ValidationError)
    expect(e1.message).toContain('is not a git repository')
    const e3 = await client.create({ git: { url: repo, ref: 'no-such-branch' } }).catch((e) => e)
    expect(e3).toBeInstanceOf(ValidationError)
    expect(e3.message).toContain('"no-such-branch"')
    const e4 = await client.create({ git: { url: 'https://github.com/x/y.git' } }).catch((e) => e)
    expect(e4).toBeInstanceOf(ConfigError)
    expect(e4.code).toBe('config')
    expect(e4.message).toContain('clone it first')
    const e5 = await client.create({ metadata: { repoRoot: 42 } }).catch((e) => e)
    expect(e5).toBeInstanceOf(ValidationError)
    expect(e5.message).toContain('metadata.repoRoot')
  })

  it('keeps the worktree and branch on delete when keep is set', async () => {
    const keeper = createLocalSandboxClient({ root: path.join(tmp, 'kept'), keep: true, harnesses: { scripted: fixer } })
    const box = await keeper.create({ metadata: { repoRoot: repo } })
    await box.write('kept.txt', 'x\n')
    await box.delete()
    expect(await readFile(path.join(box.workdir, 'kept.txt'), 'utf8')).toBe('x\n')
    expect(git(repo, 'branch', '--list', box.branch!).trim()).not.toBe('')
    expect(await keeper.get(box.id)).toBeNull()
    git(repo, 'worktree', 'remove', '--force', box.workdir)
    git(repo, 'branch', '-D', box.branch!)
  })
})

describe('temp-dir boxes', () => {
  it('initializes a git repository so diff works, and deletes the directory', async () => {
    const box = await client.create()
    expect(box.repoRoot).toBeUndefined()
    expect(box.branch).toBeUndefined()
    expect((await box.git.diff()).raw).toBe('')
    await box.write('hello.txt', 'hi\n')
    const diff = await box.git.diff()
    expect(diff.files).toEqual([{ path: 'hello.txt', status: 'added', additions: 1, deletions: 0 }])
    await box.delete()
    expect(existsSync(box.workdir)).toBe(false)
  })

  it('exec runs in the box with an allowlisted environment and reports exit codes', async () => {
    process.env.SBX_TEST_SECRET = 'leak'
    const box = await client.create({ env: { BOX_VAR: 'from-create' } })
    try {
      const r = await box.exec('pwd; echo "secret=[$SBX_TEST_SECRET] box=[$BOX_VAR] call=[$CALL_VAR]"; exit 7', {
        env: { CALL_VAR: 'c' },
      })
      expect(r.exitCode).toBe(7)
      expect(r.stdout).toBe(`${box.workdir}\nsecret=[] box=[from-create] call=[c]\n`)
      await box.write('sub/dir/f.txt', 'x')
      expect((await box.exec('pwd', { cwd: 'sub/dir' })).stdout.trim()).toBe(path.join(box.workdir, 'sub/dir'))
      const err = await box.exec('true', { cwd: '../..' }).catch((e) => e)
      expect(err).toBeInstanceOf(ValidationError)
      expect(err.message).toContain('exec cwd')
    } finally {
      delete process.env.SBX_TEST_SECRET
      await box.delete()
    }
  })

  it('exec kills a command at its timeout and returns exit code 124', async () => {
    const box = await client.create()
    try {
      const r = await box.exec('echo started; sleep 30', { timeoutMs: 300 })
      expect(r.exitCode).toBe(124)
      expect(r.stdout).toBe('started\n')
      expect(r.stderr).toContain('timed out after 300 ms')
    } finally {
      await box.delete()
    }
  })
})

describe('exec abort', () => {
  it('throws an AbortError and kills the command when its signal aborts', async () => {
    const box = await client.create()
    try {
      const controller = new AbortController()
      const running = box.exec('echo $$ > pid.txt; sleep 30', { signal: controller.signal })
      let pidText = ''
      for (let i = 0; i < 200 && !/^\d+\n$/.test(pidText); i++) {
        await new Promise((r) => setTimeout(r, 20))
        pidText = await box.read('pid.txt').catch(() => '')
      }
      const pid = Number(pidText)
      expect(pid).toBeGreaterThan(1)
      controller.abort()
      const err = await running.catch((e) => e)
      expect(err.name).toBe('AbortError')
      expect(err.message).toContain('sleep 30')
      expect(() => process.kill(pid, 0)).toThrow(/ESRCH/)
    } finally {
      await box.delete()
    }
  })
})

describe('path confinement', () => {
  it('rejects .. escapes, absolute paths outside the box and symlink escapes', async () => {
    const box = await client.create({ metadata: { repoRoot: repo } })
    const outside = path.join(tmp, 'outside.txt')
    await writeFile(outside, 'secret\n')
    try {
      for (const bad of ['../outside.txt', '../../etc/passwd', 'src/../../x', outside, '/etc/passwd']) {
        const readErr = await box.read(bad).catch((e) => e)
        expect(readErr).toBeInstanceOf(ValidationError)
        expect(readErr.code).toBe('validation')
        expect(readErr.message).toContain(JSON.stringify(bad))
        const writeErr = await box.write(bad, 'x').catch((e) => e)
        expect(writeErr).toBeInstanceOf(ValidationError)
      }
      await symlink(tmp, path.join(box.workdir, 'link-dir'))
      await symlink(outside, path.join(box.workdir, 'link-file'))
      await symlink(path.join(tmp, 'does-not-exist.txt'), path.join(box.workdir, 'dangling'))
      for (const bad of ['link-dir/outside.txt', 'link-dir/new-file.txt', 'link-file', 'dangling']) {
        const err = await box.write(bad, 'pwned').catch((e) => e)
        expect(err).toBeInstanceOf(ValidationError)
        expect(err.message).toMatch(/symlink/)
      }
      expect(await readFile(outside, 'utf8')).toBe('secret\n')
      expect(existsSync(path.join(tmp, 'new-file.txt'))).toBe(false)
      expect(existsSync(path.join(tmp, 'does-not-exist.txt'))).toBe(false)
      // Symlinks that stay inside the box are fine; so is an absolute path inside it.
      await symlink(path.join(box.workdir, 'src'), path.join(box.workdir, 'src-link'))
      expect(await box.read('src-link/sum.js')).toContain('sum')
      expect(await box.read(path.join(box.workdir, 'README.md'))).toBe('# sample\n')
      const empty = await box.read('').catch((e) => e)
      expect(empty).toBeInstanceOf(ValidationError)
    } finally {
      await box.delete()
    }
  })

  it('git.diff(ref) takes a commit, never a git option that writes outside the box', async () => {
    const box = await client.create({ metadata: { repoRoot: repo } })
    const target = path.join(tmp, 'diff-escape.txt')
    try {
      await box.write('src/sum.js', 'export const sum = (a, b) => a * b\n')
      for (const bad of [`--output=${target}`, '-o', 'no-such-ref']) {
        const err = await box.git.diff(bad).catch((e) => e)
        expect(err).toBeInstanceOf(ValidationError)
        expect(err.message).toBe(`git.diff: ${JSON.stringify(bad)} does not name a commit in box ${box.id}; pass a commit sha, branch or tag.`)
      }
      await expect(diffWorkdir(box.workdir, `--output=${target}`)).rejects.toThrow(
        `diffWorkdir: ref must be a commit sha, branch or tag, got ${JSON.stringify(`--output=${target}`)}.`,
      )
      expect(existsSync(target)).toBe(false)
      // A real ref still works, and diffs against that commit.
      const diff = await box.git.diff(box.branch)
      expect(diff.raw).toContain('+export const sum = (a, b) => a * b')
    } finally {
      await box.delete()
    }
  })
})

describe('harness selection and lifecycle', () => {
  it('picks the harness named by backend.type, else the default', async () => {
    const echo = await client.create({ backend: { type: 'echo' } })
    const fallback = await client.create({ backend: { type: 'claude-code' }, metadata: { repoRoot: repo } })
    try {
      expect(echo.harness).toBe('echo')
      expect((await reduceSandboxEvents(echo.streamPrompt('hi'))).text).toBe('echo: hi')
      expect(fallback.harness).toBe('scripted')
      expect((await reduceSandboxEvents(fallback.streamPrompt('hi'))).text).toBe('fixed sum')
    } finally {
      await echo.delete()
      await fallback.delete()
    }
  })

  it('fails loud when no harness matches and there is no default', async () => {
    const c = createLocalSandboxClient({ root: path.join(tmp, 'boxes'), harnesses: { a: fixer, b: fixer } })
    const err = await c.create({ backend: { type: 'codex' } }).catch((e) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect(err.message).toContain('"codex"')
    expect(err.message).toContain('a, b')
    expect(() => createLocalSandboxClient({} as never)).toThrow(ConfigError)
  })

  it('turns a throwing harness into an error event, and refuses work after delete', async () => {
    const c = createLocalSandboxClient({
      root: path.join(tmp, 'boxes'),
      harnesses: { boom: scriptedHarness(() => Promise.reject(new Error('kaboom'))) },
    })
    const box = await c.create()
    const events = await collect(box.streamPrompt('x'))
    expect(events).toEqual([{ type: 'error', data: { message: 'kaboom', harness: 'boom' } }])
    expect(await c.get(box.id)).toBe(box)
    await box.delete()
    expect(await c.get(box.id)).toBeNull()
    const err = await box.read('a').catch((e) => e)
    expect(err).toBeInstanceOf(ValidationError)
    expect(err.message).toContain('was deleted')
  })
})

async function realRepo(): Promise<string> {
  return git(repo, 'rev-parse', '--show-toplevel').trim()
}
