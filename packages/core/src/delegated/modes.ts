import { coderLoopRunner, reviewLoopRunner } from './coder-runner.js'
import { dynamicLoopRunner } from './dynamic-runner.js'
import { researchLoopRunner } from './research-runner.js'

/**
 * The default factory of each delegated mode, in canonical order. The mode
 * list, the bin's usage text and `isDelegatedLoopMode` all derive from this
 * table, so a mode appears only once its factory exists: `self-improve` and
 * `audit` are one line each when their factories land.
 * @experimental
 */
export const DELEGATED_LOOP_FACTORIES = {
  code: coderLoopRunner,
  review: reviewLoopRunner,
  research: researchLoopRunner,
  dynamic: dynamicLoopRunner,
} as const

/** A mode a delegated loop can run in (a key of {@link DELEGATED_LOOP_FACTORIES}). @experimental */
export type DelegatedLoopMode = keyof typeof DELEGATED_LOOP_FACTORIES

/** The modes a delegated loop can run in, derived from {@link DELEGATED_LOOP_FACTORIES}. @experimental */
export const DELEGATED_LOOP_MODES: readonly DelegatedLoopMode[] = Object.keys(DELEGATED_LOOP_FACTORIES) as DelegatedLoopMode[]
