import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The repository root (examples run from there so workspace packages resolve to their sources). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** Chromium flags for headless runs in containers and CI. */
export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']

/** Debian's Chromium; `bin/setup.sh` installs it when missing. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Starts `main.ts` as a child process on a free port with the scripted
 * backend, and resolves once it prints its URL.
 */
export function launchExample(env: Record<string, string> = {}): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'examples/chat-handler/main.ts'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', OPENAI_API_KEY: '', TANGLE_API_KEY: '', CHAT_DB: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/[\d.:]+)/.exec(output)
      if (match) resolve({ url: match[1]!, stop: () => void child.kill('SIGTERM') })
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('exit', (code) => reject(new Error(`chat-handler exited with ${code} before listening:\n${output}`)))
  })
}
