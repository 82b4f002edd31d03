import { randomBytes } from 'node:crypto'
import { mkdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type {
  SandboxBox,
  SandboxClient,
  SandboxCreateOptions,
  SandboxEvent,
  SandboxExecResult,
  SandboxGitDiff,
  SandboxPromptOptions,
} from '@tangle-network/agent-runtime-core'
import { AgentRuntimeError, ConfigError, createAbortError, errorMessage, isAbortError, ValidationError } from '@tangle-network/agent-runtime-core'
import { diffWorkdir, GitCommandError, gitCommonDir, runGit, runGitRetrying, withRepoLock } from './git.js'
import type { LocalHarness } from './harness.js'
import { resolveInBox } from './paths.js'
import { buildAllowlistedEnv, DEFAULT_ENV_ALLOWLIST, killProcessGroup, runGroupCommand } from './process.js'

/** Options of {@link createLocalSandboxClient}. @experimental */
export interface LocalSandboxClientOptions {
  /** Directory under which box directories are created. Default: `<os.tmpdir()>/agent-runtime-boxes`. */
  root?: string
  /** Keep box directories, worktrees and branches on `delete()` for inspection. Default false. */
  keep?: boolean
  /** Harnesses by name; `create({backend: {type}})` picks one by key. */
  harnesses: Record<string, LocalHarness>
  /** Harness used when `backend.type` is missing or names no key of `harnesses` (a key or a harness). */
  defaultHarness?: string | LocalHarness
  /** Explicit environment for every box's commands and harnesses (added to the allowlisted parent env). */
  env?: Record<string, string>
  /** Parent environment variables passed to `exec` commands, in addition to {@link DEFAULT_ENV_ALLOWLIST}. */
  envAllowlist?: readonly string[]
  /** Default timeout of `exec`, in ms. Default 600000 (10 min); 0 disables it. */
  execTimeoutMs?: number
  /** Prefix of the throwaway branches of worktree boxes. Default `agent-runtime/`. */
  branchPrefix?: string
}

/** A box of the local sandbox: a directory, optionally a git worktree. @experimental */
export interface LocalSandboxBox extends SandboxBox {
  readonly id: string
  /** Absolute path of the box directory. */
  readonly workdir: string
  /** The repository this box is a worktree of, or undefined for a temp-dir box. */
  readonly repoRoot?: string
  /** Throwaway branch of a worktree box. */
  readonly branch?: string
  /** Commit the box started from; `git.diff()` compares against it. */
  readonly baseCommit: string
  /** Name of the harness that answers `streamPrompt`. */
  readonly harness: string
  streamPrompt(message: string, options?: SandboxPromptOptions): AsyncIterable<SandboxEvent>
  exec(
    command: string,
    options?: { cwd?: string; timeoutMs?: number; env?: Record<string, string>; signal?: AbortSignal },
  ): Promise<SandboxExecResult>
  read(path: string): Promise<string>
  write(path: string, content: string): Promise<void>
  git: { diff(ref?: string): Promise<SandboxGitDiff> }
  delete(): Promise<void>
}

/** The local sandbox client. @experimental */
export interface LocalSandboxClient extends SandboxClient {
  create(options?: SandboxCreateOptions, request?: { signal?: AbortSignal }): Promise<LocalSandboxBox>
  get(id: string): Promise<LocalSandboxBox | null>
  /** Deletes every box this client created and has not deleted yet. */
  deleteAll(): Promise<void>
}

/**
 * Reads the repository a box should be a worktree of: `options.git.url` when
 * it is a local path or a `file://` URL, else `options.metadata.repoRoot`.
 */
function repoFromOptions(options: SandboxCreateOptions): { repo?: string; ref?: string } {
  const url = options.git?.url
  if (typeof url === 'string' && url.length > 0) {
    if (url.startsWith('file://')) return { repo: fileURLToPath(url), ref: options.git?.ref }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url)) {
      throw new ConfigError(
        `The local sandbox only uses local repositories, got git.url ${JSON.stringify(url)}; clone it first and pass its path (or metadata.repoRoot).`,
      )
    }
    return { repo: path.resolve(url), ref: options.git?.ref }
  }
  const fromMeta = options.metadata?.repoRoot
  if (fromMeta === undefined) return {}
  if (typeof fromMeta !== 'string' || fromMeta.length === 0) {
    throw new ValidationError(`metadata.repoRoot must be a non-empty path string, got ${JSON.stringify(fromMeta)}.`)
  }
  const ref = typeof options.metadata?.ref === 'string' ? options.metadata.ref : options.git?.ref
  return { repo: path.resolve(fromMeta), ref }
}

function pickHarness(opts: LocalSandboxClientOptions, requested: string | undefined): { key: string; harness: LocalHarness } {
  const names = Object.keys(opts.harnesses)
  if (requested !== undefined && Object.hasOwn(opts.harnesses, requested)) return { key: requested, harness: opts.harnesses[requested] }
  const fallback = opts.defaultHarness
  if (typeof fallback === 'object') return { key: fallback.name, harness: fallback }
  if (typeof fallback === 'string') {
    if (Object.hasOwn(opts.harnesses, fallback)) return { key: fallback, harness: opts.harnesses[fallback] }
    throw new ConfigError(`defaultHarness ${JSON.stringify(fallback)} is not a key of harnesses (${names.join(', ') || 'none'}).`)
  }
  if (names.length === 1) return { key: names[0], harness: opts.harnesses[names[0]] }
  throw new ConfigError(
    `No local harness for backend type ${JSON.stringify(requested)}; register it in harnesses (have: ${names.join(', ') || 'none'}) or set defaultHarness.`,
  )
}

/**
 * Creates the embedded local sandbox. Each `create()` makes a box directory
 * of its own under `root`: a `git worktree` on a throwaway branch when the
 * options name a local repository (`git.url` or `metadata.repoRoot`),
 * otherwise a fresh temp dir with an initialized git repository (so
 * `git.diff()` works everywhere). `backend.type` picks the harness.
 * @example
 * const client = createLocalSandboxClient({ harnesses: { scripted: scriptedHarness(() => 'hello') } })
 * const box = await client.create({ metadata: { repoRoot: '/path/to/repo' } })
 * for await (const event of box.streamPrompt('fix the test')) console.log(event)
 * await box.delete()
 * @experimental
 */
export function createLocalSandboxClient(options: LocalSandboxClientOptions): LocalSandboxClient {
  if (!options || typeof options.harnesses !== 'object' || options.harnesses === null) {
    throw new ConfigError('createLocalSandboxClient needs a harnesses map, e.g. { harnesses: { scripted: scriptedHarness(fn) } }.')
  }
  const root = path.resolve(options.root ?? path.join(os.tmpdir(), 'agent-runtime-boxes'))
  const boxes = new Map<string, LocalSandboxBox>()
  const branchPrefix = options.branchPrefix ?? 'agent-runtime/'
  const envAllowlist = [...DEFAULT_ENV_ALLOWLIST, ...(options.envAllowlist ?? [])]

  async function create(createOptions: SandboxCreateOptions = {}, request: { signal?: AbortSignal } = {}): Promise<LocalSandboxBox> {
    if (request.signal?.aborted) throw createAbortError('sandbox create aborted')
    const { key: harnessName, harness } = pickHarness(options, createOptions.backend?.type)
    const { repo, ref } = repoFromOptions(createOptions)
    const id = `box-${randomBytes(6).toString('hex')}`
    await mkdir(root, { recursive: true })
    const workdir = path.join(await realpath(root), id)
    let baseCommit: string
    let repoRoot: string | undefined
    let branch: string | undefined
    let commonDir: string | undefined
    if (repo !== undefined) {
      const info = await stat(repo).catch(() => undefined)
      if (!info?.isDirectory()) throw new ValidationError(`Repository ${repo} does not exist or is not a directory; pass an existing local git checkout.`)
      try {
        repoRoot = (await runGit(repo, ['rev-parse', '--show-toplevel'])).trim()
        commonDir = await gitCommonDir(repoRoot)
      } catch (err) {
        throw new ValidationError(`${repo} is not a git repository: ${errorMessage(err)}`, { cause: err })
      }
      const base = ref ?? 'HEAD'
      try {
        baseCommit = (await runGit(repoRoot, ['rev-parse', '--verify', '--end-of-options', `${base}^{commit}`])).trim()
      } catch (err) {
        throw new ValidationError(`Ref ${JSON.stringify(base)} does not name a commit in ${repoRoot}; commit first or pass an existing git.ref.`, {
          cause: err,
        })
      }
      branch = `${branchPrefix}${id}`
      const wtRepo = repoRoot
      const wtBranch = branch
      const wtBase = baseCommit
      await withRepoLock(commonDir, () => runGitRetrying(wtRepo, ['worktree', 'add', '-q', '-b', wtBranch, workdir, wtBase]))
    } else {
      await mkdir(workdir, { recursive: true })
      await runGit(workdir, ['init', '-q'])
      await runGit(workdir, ['commit', '-q', '--allow-empty', '-m', 'agent-runtime box base'])
      baseCommit = (await runGit(workdir, ['rev-parse', 'HEAD'])).trim()
    }
    const box = makeBox({ id, workdir, realWorkdir: await realpath(workdir), repoRoot, commonDir, branch, baseCommit, harness, harnessName, createOptions })
    boxes.set(id, box)
    if (request.signal?.aborted) {
      await box.delete()
      throw createAbortError('sandbox create aborted')
    }
    return box
  }

  interface BoxState {
    id: string
    workdir: string
    realWorkdir: string
    repoRoot?: string
    commonDir?: string
    branch?: string
    baseCommit: string
    harness: LocalHarness
    harnessName: string
    createOptions: SandboxCreateOptions
  }

  function makeBox(s: BoxState): LocalSandboxBox {
    const groups = new Set<number>()
    const controllers = new Set<AbortController>()
    const boxEnv: Record<string, string> = { ...options.env, ...(s.createOptions.env ?? {}) }
    let deleted = false
    let deleting: Promise<void> | undefined

    const assertAlive = (op: string): void => {
      if (deleted) throw new ValidationError(`Sandbox box ${s.id} was deleted; cannot ${op}. Create a new box.`)
    }
    const confine = (p: string, what?: string) => resolveInBox(s.workdir, s.realWorkdir, p, what)

    const box: LocalSandboxBox = {
      id: s.id,
      workdir: s.workdir,
      repoRoot: s.repoRoot,
      branch: s.branch,
      baseCommit: s.baseCommit,
      harness: s.harnessName,

      async exec(command, o = {}) {
        assertAlive('exec')
        if (typeof command !== 'string' || command.length === 0) throw new ValidationError('exec needs a non-empty command string.')
        const cwd = o.cwd === undefined ? s.workdir : await confine(o.cwd, 'exec cwd')
        const env = buildAllowlistedEnv(envAllowlist, process.env, boxEnv, o.env)
        const timeoutMs = o.timeoutMs ?? options.execTimeoutMs ?? 600_000
        const r = await runGroupCommand('sh', ['-c', command], { cwd, env, timeoutMs, signal: o.signal, onBox: groups })
        if (r.aborted) throw createAbortError(`exec aborted: ${command}`)
        if (r.timedOut) {
          return { exitCode: 124, stdout: r.stdout, stderr: `${r.stderr}${r.stderr.endsWith('\n') || r.stderr === '' ? '' : '\n'}[agent-runtime] command timed out after ${timeoutMs} ms and was killed\n` }
        }
        return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr }
      },

      async read(p) {
        assertAlive('read')
        return readFile(await confine(p), 'utf8')
      },

      async write(p, content) {
        assertAlive('write')
        if (typeof content !== 'string') throw new ValidationError(`write(${JSON.stringify(p)}) needs string content, got ${typeof content}.`)
        const target = await confine(p)
        await mkdir(path.dirname(target), { recursive: true })
        // Re-check after creating parents: a concurrent symlink swap must not redirect the write.
        await confine(p)
        await writeFile(target, content)
      },

      git: {
        async diff(ref) {
          assertAlive('git.diff')
          if (ref === undefined) return diffWorkdir(s.workdir, s.baseCommit)
          // Resolve the ref to a sha first: a caller-supplied string such as `--output=/x` must never reach `git diff` as an option.
          let commit: string
          try {
            if (typeof ref !== 'string' || ref.length === 0) throw new TypeError('not a string')
            commit = (await runGit(s.workdir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim()
          } catch {
            throw new ValidationError(`git.diff: ${JSON.stringify(ref)} does not name a commit in box ${s.id}; pass a commit sha, branch or tag.`)
          }
          return diffWorkdir(s.workdir, commit)
        },
      },

      streamPrompt(message, promptOptions = {}) {
        return runPrompt(message, promptOptions)
      },

      delete() {
        if (!deleting) deleting = destroy()
        return deleting
      },
    }

    async function* runPrompt(message: string, promptOptions: SandboxPromptOptions): AsyncGenerator<SandboxEvent> {
      assertAlive('streamPrompt')
      if (typeof message !== 'string') throw new ValidationError(`streamPrompt needs a string message, got ${typeof message}.`)
      const outer = promptOptions.signal
      if (outer?.aborted) throw createAbortError('streamPrompt aborted')
      const controller = new AbortController()
      controllers.add(controller)
      let timedOut = false
      const onAbort = (): void => controller.abort(outer?.reason)
      outer?.addEventListener('abort', onAbort, { once: true })
      const timer =
        promptOptions.timeoutMs !== undefined && promptOptions.timeoutMs > 0
          ? setTimeout(() => {
              timedOut = true
              controller.abort(createAbortError('streamPrompt timed out'))
            }, promptOptions.timeoutMs)
          : undefined
      try {
        const events = s.harness.run({
          prompt: message,
          workdir: s.workdir,
          signal: controller.signal,
          box,
          env: { ...boxEnv },
          options: promptOptions,
          createOptions: s.createOptions,
        })
        try {
          for await (const event of events) {
            if (controller.signal.aborted) break
            yield event
          }
        } catch (err) {
          // A harness that cannot start at all (a missing command) is a setup error: fail the
          // prompt loudly rather than hand back a run that merely looks empty.
          if (err instanceof AgentRuntimeError && err.code === 'config') throw err
          if (!controller.signal.aborted) {
            yield { type: 'error', data: { message: errorMessage(err), harness: s.harnessName } }
            return
          }
          if (!isAbortError(err) && !timedOut && !outer?.aborted) throw err
        }
        if (outer?.aborted) throw createAbortError('streamPrompt aborted')
        if (timedOut) {
          yield {
            type: 'error',
            data: { message: `harness ${s.harnessName} timed out after ${promptOptions.timeoutMs} ms`, code: 'timeout', harness: s.harnessName },
          }
        } else if (deleted) {
          yield { type: 'error', data: { message: `box ${s.id} was deleted while the prompt ran`, harness: s.harnessName } }
        }
      } finally {
        // Also reached when the consumer stops early: tell the harness to stop.
        if (!controller.signal.aborted) controller.abort(createAbortError('prompt stream closed'))
        if (timer) clearTimeout(timer)
        outer?.removeEventListener('abort', onAbort)
        controllers.delete(controller)
      }
    }

    async function destroy(): Promise<void> {
      deleted = true
      for (const c of controllers) c.abort(createAbortError('box deleted'))
      for (const pgid of groups) killProcessGroup(pgid)
      boxes.delete(s.id)
      if (options.keep) return
      if (s.repoRoot !== undefined && s.commonDir !== undefined) {
        const repoRoot = s.repoRoot
        await withRepoLock(s.commonDir, async () => {
          try {
            await runGitRetrying(repoRoot, ['worktree', 'remove', '--force', '--force', s.workdir])
          } catch (err) {
            if (!(err instanceof GitCommandError)) throw err
            // Directory already gone or not a worktree any more: drop its stale registration.
            await runGitRetrying(repoRoot, ['worktree', 'prune'])
          }
          if (s.branch !== undefined) {
            await runGitRetrying(repoRoot, ['branch', '-D', '-q', s.branch]).catch((err) => {
              if (!(err instanceof GitCommandError) || !/not found/i.test(err.stderr)) throw err
            })
          }
        })
      }
      await rm(s.workdir, { recursive: true, force: true })
    }

    return box
  }

  return {
    create,
    async get(id) {
      return boxes.get(id) ?? null
    },
    async deleteAll() {
      await Promise.all([...boxes.values()].map((b) => b.delete()))
    },
  }
}
