import { AgentRuntimeError, ValidationError } from '@tangle-network/agent-runtime-core'
import {
  type CoderOutput,
  createCoderValidator,
  DEFAULT_MAX_DIFF_LINES,
  isForbiddenPath,
  isSecretPath,
} from '@tangle-network/agent-runtime-core/profiles'
import { describe, expect, it } from 'vitest'

/** A git diff that adds `added` lines to `path` (a new file). */
function newFileDiff(path: string, added: string[]): string {
  return [`diff --git a/${path} b/${path}`, 'new file mode 100644', '--- /dev/null', `+++ b/${path}`, `@@ -0,0 +1,${added.length} @@`, ...added.map((l) => `+${l}`), ''].join('\n')
}

/** A git diff that replaces one line of `path`. */
function editDiff(path: string): string {
  return [`diff --git a/${path} b/${path}`, `--- a/${path}`, `+++ b/${path}`, '@@ -1 +1 @@', '-return a - b', '+return a + b', ''].join('\n')
}

function output(patch: string, overrides: Partial<CoderOutput> = {}): CoderOutput {
  return {
    branch: 'sandbox/x',
    patch,
    testResult: { passed: true, output: 'ok' },
    typecheckResult: { passed: true, output: 'not configured' },
    diffStats: { filesChanged: 1, insertions: 1, deletions: 1 },
    ...overrides,
  }
}

const ctx = { iteration: 0 }

describe('isSecretPath (the always-on floor)', () => {
  it.each([
    '.env',
    'apps/web/.env',
    '.env.local',
    'config/.ENV.Production',
    'deep/a/b/prod.PEM',
    'tls/server.key',
    'certs/client.p12',
    'certs/client.pfx',
    'android/release.keystore',
    'eth/main.wallet',
    'id_rsa',
    'home/.ssh/id_ed25519',
    'config/Secrets.json',
    'secret.json',
    'gcp/credentials.json',
    'credential.json',
    '.env/inside-a-dir.txt',
  ])('rejects %s', (path) => {
    expect(isSecretPath(path)).toBe(true)
  })

  it.each(['src/env.ts', 'environment.js', '.envrc.example.md', 'docs/keys.md', 'secretary.json', 'id_rsa.pub', 'src/key.ts', 'pem/readme.txt', 'README.md'])(
    'allows %s',
    (path) => {
      expect(isSecretPath(path)).toBe(false)
    },
  )
})

describe('isForbiddenPath', () => {
  it('matches an exact path or a directory prefix at a segment boundary, ignoring case, ./ and trailing /', () => {
    expect(isForbiddenPath('infra/prod/main.tf', ['infra/'])).toBe(true)
    expect(isForbiddenPath('infra', ['infra'])).toBe(true)
    expect(isForbiddenPath('INFRA/x.tf', ['./infra'])).toBe(true)
    expect(isForbiddenPath('package.json', ['package.json'])).toBe(true)
    // A bare entry is a plain prefix (fail closed); a trailing slash limits it to the folder.
    expect(isForbiddenPath('infrastructure.md', ['infra'])).toBe(true)
    expect(isForbiddenPath('src/generated.ts', ['src/gen'])).toBe(true)
    expect(isForbiddenPath('infrastructure.md', ['infra/'])).toBe(false)
    expect(isForbiddenPath('src/generated.ts', ['src/gen/'])).toBe(false)
    expect(isForbiddenPath('infra', ['infra/'])).toBe(true)
    expect(isForbiddenPath('src/a.ts', [''])).toBe(false)
    expect(isForbiddenPath('src/a.ts', [])).toBe(false)
  })
})

describe('createCoderValidator', () => {
  it('accepts a small passing change, with the score formula and per-check scores', async () => {
    const verdict = await createCoderValidator().validate(output(editDiff('src/sum.js')), ctx)
    expect(verdict.valid).toBe(true)
    expect(verdict.failedChecks).toEqual([])
    expect(verdict.diffLines).toBe(2)
    expect(verdict.score).toBeCloseTo(0.5 + 0.3 + 0.2 * (1 - 2 / DEFAULT_MAX_DIFF_LINES), 10)
    expect(verdict.scores).toEqual({ noop: 1, secretFloor: 1, forbiddenPaths: 1, diffSize: 1 - 2 / 400, tests: 1, typecheck: 1 })
    expect(verdict.notes).toBe('passed: tests, 2 changed lines of 400 allowed; not configured: typecheck')
    expect(verdict.touchedPaths).toEqual(['src/sum.js'])
  })

  it('rejects an empty patch as a no-op even when the tests pass', async () => {
    const verdict = await createCoderValidator().validate(output('  \n'), ctx)
    expect(verdict.valid).toBe(false)
    expect(verdict.failedChecks).toEqual(['noop'])
    expect(verdict.notes).toBe('no-op: the patch is empty')
    expect(verdict.scores.noop).toBe(0)
  })

  it('rejects a patch that names no file paths as a no-op', async () => {
    const verdict = await createCoderValidator().validate(output('I changed the code, promise.\n+return a + b\n'), ctx)
    expect(verdict.valid).toBe(false)
    expect(verdict.notes).toBe('no-op: the patch names no file paths')
  })

  it('applies the secret-path floor with no configuration, naming every secret path and every other failure', async () => {
    const patch = newFileDiff('.env', ['API_KEY=sk-fake']) + newFileDiff('keys/deploy.pem', ['-----BEGIN-----'])
    const verdict = await createCoderValidator().validate(output(patch, { testResult: { passed: false, output: 'exit 1\nFAIL total expected 30, got 20\n' } }), ctx)
    expect(verdict.valid).toBe(false)
    expect(verdict.failedChecks).toEqual(['secretFloor', 'tests'])
    expect(verdict.notes).toBe('secret-path floor: .env, keys/deploy.pem; tests failed: FAIL total expected 30, got 20')
    expect(verdict.scores.secretFloor).toBe(0)
    // Safety gates decide validity; the score still follows the formula (no tests → no 0.5).
    expect(verdict.score).toBeCloseTo(0.3 + 0.2 * (1 - 2 / 400), 10)
  })

  it('catches a secret file renamed away (the old side of the rename counts)', async () => {
    const patch = 'diff --git a/.env.production b/notes.txt\nsimilarity index 100%\nrename from .env.production\nrename to notes.txt\n'
    const verdict = await createCoderValidator().validate(output(patch), ctx)
    expect(verdict.failedChecks).toEqual(['secretFloor'])
    expect(verdict.notes).toBe('secret-path floor: .env.production')
  })

  it('rejects forbidden paths (prefix or exact)', async () => {
    const patch = editDiff('infra/main.tf') + editDiff('package.json') + editDiff('src/ok.js')
    const verdict = await createCoderValidator({ forbiddenPaths: ['infra', 'package.json'] }).validate(output(patch), ctx)
    expect(verdict.failedChecks).toEqual(['forbiddenPaths'])
    expect(verdict.notes).toBe('forbidden path: infra/main.tf, package.json')
  })

  it('rejects a diff over maxDiffLines and zeroes the size term', async () => {
    const patch = newFileDiff('src/big.js', Array.from({ length: 11 }, (_, i) => `line ${i}`))
    const verdict = await createCoderValidator({ maxDiffLines: 10 }).validate(output(patch), ctx)
    expect(verdict.valid).toBe(false)
    expect(verdict.failedChecks).toEqual(['diffSize'])
    expect(verdict.notes).toBe('diff too large: 11 changed lines > maxDiffLines 10')
    expect(verdict.scores.diffSize).toBe(0)
    expect(verdict.score).toBeCloseTo(0.8, 10)
  })

  it('fails on a failed typecheck and on missing check results', async () => {
    const failedTypecheck = await createCoderValidator().validate(
      output(editDiff('a.ts'), { typecheckResult: { passed: false, output: "a.ts(1,1): error TS2322: Type 'string' is not assignable" } }),
      ctx,
    )
    expect(failedTypecheck.failedChecks).toEqual(['typecheck'])
    expect(failedTypecheck.notes).toBe("typecheck failed: a.ts(1,1): error TS2322: Type 'string' is not assignable")
    expect(failedTypecheck.score).toBeCloseTo(0.5 + 0.2 * (1 - 2 / 400), 10)

    const missing = await createCoderValidator().validate({ patch: editDiff('a.ts') } as unknown as CoderOutput, ctx)
    expect(missing.failedChecks).toEqual(['tests', 'typecheck'])
    expect(missing.notes).toBe('tests failed; typecheck failed')
  })

  it('treats a malformed output as a no-op instead of throwing', async () => {
    const verdict = await createCoderValidator().validate(null as unknown as CoderOutput, ctx)
    expect(verdict.valid).toBe(false)
    expect(verdict.failedChecks).toEqual(['noop', 'tests', 'typecheck'])
    expect(verdict.score).toBeCloseTo(0.2, 10)
  })

  it('throws ValidationError on a bad maxDiffLines', () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) {
      const run = () => createCoderValidator({ maxDiffLines: bad })
      expect(run).toThrow(ValidationError)
      expect(run).toThrow(`createCoderValidator: maxDiffLines must be an integer >= 1, got ${JSON.stringify(bad)}`)
      try {
        run()
      } catch (err) {
        expect(err).toBeInstanceOf(AgentRuntimeError)
        expect((err as AgentRuntimeError).code).toBe('validation')
      }
    }
  })
})
