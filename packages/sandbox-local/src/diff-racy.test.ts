// A same-size edit made in the second the checkout was written must still show
// in git.diff(). Git only rehashes a file whose stat matches its index entry when
// the entry is "racily clean" (not older than the index file), so the throwaway
// index the diff uses has to keep the real index's mtime. The test builds that
// situation deterministically by moving the timestamps into the past.
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, stat, utimes } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { createLocalSandboxClient, initGitRepo, scriptedHarness } from '@tangle-network/agent-runtime-sandbox-local'
import { afterAll, expect, it } from 'vitest'

let tmp = ''
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

it('diffs a same-size edit whose stat matches the index entry (racily clean)', async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sbx-racy-'))
  const repo = (await initGitRepo(path.join(tmp, 'repo'), { 'sum.js': 'export const sum = (a, b) => a - b\n' })).dir
  // The edit below cannot keep ctime, so ctime is left out of git's stat check.
  execFileSync('git', ['config', 'core.trustctime', 'false'], { cwd: repo })
  const client = createLocalSandboxClient({ root: path.join(tmp, 'boxes'), harnesses: { noop: scriptedHarness(() => 'ok') } })
  const box = await client.create({ git: { url: repo } })
  try {
    const file = path.join(box.workdir, 'sum.js')
    const past = new Date(Date.now() - 60_000)
    // Record a past mtime in the index, as if the checkout happened a minute ago.
    await utimes(file, past, past)
    execFileSync('git', ['update-index', '--refresh'], { cwd: box.workdir })
    const indexPath = path.resolve(box.workdir, execFileSync('git', ['rev-parse', '--git-path', 'index'], { cwd: box.workdir, encoding: 'utf8' }).trim())
    // The edit keeps size, inode and mtime: only the content tells it apart.
    await box.write('sum.js', 'export const sum = (a, b) => a + b\n')
    await utimes(file, past, past)
    // The index was written in that same second, so its entry is racily clean.
    await utimes(indexPath, past, past)
    expect((await stat(file)).mtimeMs).toBe((await stat(indexPath)).mtimeMs)
    const diff = await box.git.diff()
    expect(diff.raw).toContain('+export const sum = (a, b) => a + b')
    expect(diff.files).toEqual([{ path: 'sum.js', status: 'modified', additions: 1, deletions: 1 }])
  } finally {
    await client.deleteAll()
  }
})
