// Every mode the loop runner offers has a factory: engine modes in core's table,
// the others exported from the sibling subpath the engine's table names.
import { DELEGATED_LOOP_FACTORIES, DELEGATED_LOOP_FACTORY_HOMES, DELEGATED_LOOP_MODES, LOOP_RUNNER_USAGE } from '@tangle-network/agent-runtime'
import { describe, expect, it } from 'vitest'

describe('delegated loop modes', () => {
  it('each offered mode has a factory function where the table says', async () => {
    for (const mode of DELEGATED_LOOP_MODES) {
      const home = (DELEGATED_LOOP_FACTORY_HOMES as Record<string, readonly [string, string]>)[mode]
      const factory = home ? ((await import(home[0])) as Record<string, unknown>)[home[1]] : (DELEGATED_LOOP_FACTORIES as Record<string, unknown>)[mode]
      expect(typeof factory, `factory of mode '${mode}'`).toBe('function')
      expect(LOOP_RUNNER_USAGE).toContain(mode)
    }
  })
})
