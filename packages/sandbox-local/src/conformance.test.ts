import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runSandboxClientConformance } from '@tangle-network/agent-runtime-core/testing'
import { commandHarness, createLocalSandboxClient, initGitRepo, scriptedHarness } from '@tangle-network/agent-runtime-sandbox-local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const tmp = mkdtempSync(path.join(os.tmpdir(), 'sbx-conformance-'))
const repo = path.join(tmp, 'repo')
const capabilities = { exec: true, read: true, write: true, gitDiff: true, delete: true, get: true, confinesPaths: true, abort: true }

beforeAll(async () => {
  await initGitRepo(repo, { 'README.md': '# conformance\n' })
})
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const harnesses = {
  scripted: scriptedHarness(({ prompt }) => `ack: ${prompt}`),
  command: commandHarness({ command: 'sh', args: ['-c', 'echo "$1"', 'sh', '{prompt}'] }),
}

runSandboxClientConformance(
  { describe, it, expect },
  {
    name: 'local sandbox, temp-dir boxes, scripted harness',
    createClient: () => createLocalSandboxClient({ root: path.join(tmp, 'boxes'), harnesses, defaultHarness: 'scripted' }),
    capabilities,
  },
)

runSandboxClientConformance(
  { describe, it, expect },
  {
    name: 'local sandbox, worktree boxes, command harness',
    createClient: () => createLocalSandboxClient({ root: path.join(tmp, 'boxes'), harnesses }),
    createOptions: () => ({ backend: { type: 'command' }, metadata: { repoRoot: repo } }),
    capabilities,
  },
)
