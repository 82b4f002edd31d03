/** A tiny git repository with a failing test, and scripted coding agents that work in its worktrees. */
import { initGitRepo, type LocalHarness, scriptedHarness, usageEvent } from '@tangle-network/agent-runtime-sandbox-local'

export const CART = `export function total(items) {
  return items.reduce((sum, item) => sum + item.price, 0)
}
`
export const TEST = `import { total } from './cart.mjs'
const got = total([{ price: 50, quantity: 3 }, { price: 250, quantity: 1 }])
if (got !== 400) { console.log('FAIL total: expected 400, got ' + got); process.exitCode = 1 } else console.log('ok total')
`

/** Creates the repository under `dir`; resolves with its path. */
export async function createSampleRepo(dir: string): Promise<string> {
  const { dir: repo } = await initGitRepo(dir, { 'cart.mjs': CART, 'test.mjs': TEST, 'README.md': '# cart\n' }, { message: 'cart with a failing test' })
  return repo
}

const fix = (s: string) => s.replace('sum + item.price,', 'sum + item.price * item.quantity,')

/** Scripted agents keyed by the harness name a delegation asks for. */
export const scriptedAgents: Record<string, LocalHarness> = {
  'fix-bug': scriptedHarness(
    async ({ files }) => {
      await files.write('cart.mjs', fix(await files.read('cart.mjs')))
      return ['fixed total()', usageEvent({ inputTokens: 100, outputTokens: 10, costUsd: 0.01 })]
    },
    { name: 'fix-bug' },
  ),
  'leak-secret': scriptedHarness(
    async ({ files }) => {
      await files.write('.env', 'KEY=sk_test_FAKE\n')
      return 'added a key'
    },
    { name: 'leak-secret' },
  ),
  'do-nothing': scriptedHarness(() => 'nothing to do', { name: 'do-nothing' }),
  'fix-and-readme': scriptedHarness(
    async ({ files }) => {
      await files.write('cart.mjs', fix(await files.read('cart.mjs')))
      await files.write('README.md', '# cart\n\nTotals now count quantities.\n')
      return 'fixed and documented'
    },
    { name: 'fix-and-readme' },
  ),
}
