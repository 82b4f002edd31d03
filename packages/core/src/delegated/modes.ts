import { coderLoopRunner, reviewLoopRunner } from './coder-runner.js'
import { dynamicLoopRunner } from './dynamic-runner.js'
import { researchLoopRunner } from './research-runner.js'

/**
 * The default factory of each engine-owned delegated mode. The engine cannot
 * import its sibling packages, so `audit` and `self-improve` are listed in
 * {@link DELEGATED_LOOP_FACTORY_HOMES} instead; `test/delegated-modes.test.ts`
 * proves every listed mode has a factory that is exported where it says.
 * @experimental
 */
export const DELEGATED_LOOP_FACTORIES = {
  code: coderLoopRunner,
  review: reviewLoopRunner,
  research: researchLoopRunner,
  dynamic: dynamicLoopRunner,
} as const

/**
 * Where the factories of the modes built outside the engine live: `[import path, export name]`.
 * @experimental
 */
export const DELEGATED_LOOP_FACTORY_HOMES = {
  audit: ['@tangle-network/agent-runtime/analyst-loop', 'auditLoopRunner'],
  'self-improve': ['@tangle-network/agent-runtime/improvement', 'selfImproveLoopRunner'],
} as const satisfies Record<string, readonly [string, string]>

/** A mode a delegated loop can run in: one with a factory in the engine or a sibling package. @experimental */
export type DelegatedLoopMode = keyof typeof DELEGATED_LOOP_FACTORIES | keyof typeof DELEGATED_LOOP_FACTORY_HOMES

/** The modes a delegated loop can run in, in the reference's order; each has a factory. @experimental */
export const DELEGATED_LOOP_MODES: readonly DelegatedLoopMode[] = ['code', 'review', 'research', 'audit', 'self-improve', 'dynamic']
