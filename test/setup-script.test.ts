/**
 * bin/setup.sh keeps each install step's output aside and must print it when
 * the step fails. A fake `pnpm` on PATH fails the install with a known error.
 */
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')
const fakeBin = mkdtempSync(join(tmpdir(), 'setup-fake-pnpm-'))
afterAll(() => rmSync(fakeBin, { recursive: true, force: true }))

function fakePnpm(installExit: number) {
  writeFileSync(
    join(fakeBin, 'pnpm'),
    `#!/bin/sh
if [ "$1" = "--version" ]; then echo 10.34.9; exit 0; fi
echo "Progress: resolved 1"
echo "ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with frozen-lockfile because pnpm-lock.yaml is not up to date" >&2
exit ${installExit}
`,
  )
  chmodSync(join(fakeBin, 'pnpm'), 0o755)
}

async function runSetup() {
  const env = { ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, SETUP_SKIP_SYSTEM: '1' }
  return promisify(execFile)('bash', ['bin/setup.sh'], { cwd: ROOT, env, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  )
}

function fakeNpm() {
  writeFileSync(join(fakeBin, 'npm'), '#!/bin/sh\necho "npm error code E404 Not Found - GET https://registry.npmjs.org/pnpm" >&2\nexit 1\n')
  chmodSync(join(fakeBin, 'npm'), 0o755)
}

describe('bin/setup.sh', () => {
  it('shows npm\'s error when installing pnpm fails', async () => {
    writeFileSync(join(fakeBin, 'pnpm'), '#!/bin/sh\necho 9.0.0\n')
    chmodSync(join(fakeBin, 'pnpm'), 0o755)
    fakeNpm()
    const res = await runSetup()
    rmSync(join(fakeBin, 'npm'))
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('! installing pnpm@10.34.9 failed (exit 1)')
    expect(res.stderr).toContain('npm error code E404 Not Found')
  })

  it('shows the real error and fails when an install step fails', async () => {
    fakePnpm(1)
    const res = await runSetup()
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('! pnpm install failed (exit 1)')
    expect(res.stderr).toContain('ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with frozen-lockfile')
  })

  it('stays quiet about a step that succeeds', async () => {
    fakePnpm(0)
    const res = await runSetup()
    expect(res.code).toBe(0)
    expect(res.stderr).not.toContain('failed')
    expect(res.stdout).toContain('› pnpm install')
  })
})
