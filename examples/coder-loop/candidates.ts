/**
 * The three scripted "coding agents" of the demo. Each is a deterministic
 * harness of the local sandbox: it runs inside its own git worktree of the
 * sample repository and edits files there, like a real CLI agent would.
 */
import { type LocalHarness, scriptedHarness, usageEvent } from '@tangle-network/agent-runtime/sandbox-local'

/** Reads the bug, fixes it in the source file, and says so. */
const fixBug = scriptedHarness(
  async ({ files }) => {
    const source = await files.read('cart.mjs')
    await files.write('cart.mjs', source.replace('sum + item.price,', 'sum + item.price * item.quantity,'))
    return [
      'total() summed prices but ignored item.quantity; it now multiplies them.',
      usageEvent({ inputTokens: 1840, outputTokens: 96, model: 'scripted/fix-bug' }),
    ]
  },
  { name: 'fix-bug' },
)

/** "Fixes" the build by dropping a credential into `.env` and leaves the bug alone. */
const leakSecret = scriptedHarness(
  async ({ files }) => {
    await files.write('.env', 'PAYMENTS_API_KEY=sk_test_FAKE_0123456789abcdef\n')
    return [
      'Added the payments key to .env so the checkout works locally.',
      usageEvent({ inputTokens: 1710, outputTokens: 64, model: 'scripted/leak-secret' }),
    ]
  },
  { name: 'leak-secret' },
)

/** Looks around and changes nothing. */
const doNothing = scriptedHarness(
  async ({ exec }) => {
    const { stdout } = await exec('ls')
    return [
      `Looked at ${stdout.trim().split('\n').join(', ')}; the code looks correct to me.`,
      usageEvent({ inputTokens: 1530, outputTokens: 40, model: 'scripted/do-nothing' }),
    ]
  },
  { name: 'do-nothing' },
)

/** Harnesses by name: the name is what an agent run puts in `profile.metadata.backendType`. */
export const candidateHarnesses: Record<string, LocalHarness> = {
  'fix-bug': fixBug,
  'leak-secret': leakSecret,
  'do-nothing': doNothing,
}
