import { execFile } from 'node:child_process'
import { AgentRuntimeError } from '@tangle-network/agent-runtime-core'

/** Runs git with `args` in `cwd` and resolves with stdout; the adapter the Node parts use for git. @experimental */
export type GitRunner = (cwd: string, args: readonly string[]) => Promise<string>

/**
 * The default {@link GitRunner}: the `git` binary on PATH through a child process.
 * A non-zero exit rejects with an error of code `git` naming the command and its stderr.
 * @experimental
 * @example
 * const head = (await execGit('/repo', ['rev-parse', 'HEAD'])).trim()
 */
export const execGit: GitRunner = (cwd, args) =>
  new Promise((resolve, reject) => {
    execFile('git', [...args], { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new AgentRuntimeError('git', `git ${args.join(' ')} failed in ${cwd}: ${String(stderr).trim() || err.message}`, { cause: err }))
      else resolve(String(stdout))
    })
  })

/** `-c user.name/-c user.email` when the repository has no identity configured, so commits work on a bare CI box. */
export async function identityArgs(git: GitRunner, cwd: string): Promise<string[]> {
  const email = await git(cwd, ['config', 'user.email']).catch(() => '')
  return email.trim() ? [] : ['-c', 'user.name=agent-runtime', '-c', 'user.email=agent-runtime@localhost']
}
