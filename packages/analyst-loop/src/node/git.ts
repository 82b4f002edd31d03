import { execFile } from 'node:child_process'

/** Runs git in `cwd`; rejects with git's stderr on a non-zero exit. */
export function git(cwd: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...args],
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 32 << 20,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'agent-runtime', GIT_AUTHOR_EMAIL: 'agent-runtime@localhost', GIT_COMMITTER_NAME: 'agent-runtime', GIT_COMMITTER_EMAIL: 'agent-runtime@localhost' },
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${String(stderr || err.message).trim()}`))
        else resolve(stdout)
      },
    )
  })
}
