import { ConfigError, errorMessage } from '../errors.js'
import { type Clock, systemClock } from '../util/clock.js'

/** The modes a delegated loop can run in. @experimental */
export const DELEGATED_LOOP_MODES = ['code', 'review', 'research', 'audit', 'self-improve', 'dynamic'] as const

/** One of {@link DELEGATED_LOOP_MODES}. @experimental */
export type DelegatedLoopMode = (typeof DELEGATED_LOOP_MODES)[number]

/**
 * True when `value` is one of {@link DELEGATED_LOOP_MODES}. @experimental
 * @example
 * if (!isDelegatedLoopMode(argv.mode)) throw new Error(`unknown mode ${argv.mode}`)
 */
export function isDelegatedLoopMode(value: unknown): value is DelegatedLoopMode {
  return typeof value === 'string' && (DELEGATED_LOOP_MODES as readonly string[]).includes(value)
}

/** A loop of one mode, ready to run: it only needs a signal. @experimental */
export type DelegatedLoopRunner<T = unknown> = (signal: AbortSignal) => Promise<T>

/** The runners a deployment offers, by mode. @experimental */
export type DelegatedLoopRegistry = Partial<Record<DelegatedLoopMode, DelegatedLoopRunner>>

/** Outcome of {@link runDelegatedLoop}: recorded, never thrown, for unattended runs. @experimental */
export interface DelegatedLoopResult<T = unknown> {
  mode: DelegatedLoopMode
  ok: boolean
  output?: T
  error?: string
  durationMs: number
}

/**
 * The modes a registry has runners for, in canonical order. @experimental
 * @example
 * registeredDelegatedModes({ research: runner, code: runner }) // → ['code', 'research']
 */
export function registeredDelegatedModes(registry: DelegatedLoopRegistry): DelegatedLoopMode[] {
  return DELEGATED_LOOP_MODES.filter((m) => typeof registry[m] === 'function')
}

/**
 * Runs the registry's runner for `mode`. A missing runner is a configuration
 * error and throws `ConfigError`; a runner that throws is recorded as
 * `{ ok: false, error }` so a cron job can report it.
 * @experimental
 * @example
 * const res = await runDelegatedLoop('research', { research: researchLoopRunner({ research: findSources }) })
 */
export async function runDelegatedLoop<T = unknown>(
  mode: DelegatedLoopMode,
  registry: DelegatedLoopRegistry,
  options: { signal?: AbortSignal; now?: Clock } = {},
): Promise<DelegatedLoopResult<T>> {
  const runner = registry?.[mode]
  if (typeof runner !== 'function') {
    const registered = registeredDelegatedModes(registry ?? {})
    throw new ConfigError(`runDelegatedLoop: no runner registered for mode '${mode}' (registered: ${registered.join(', ') || 'none'})`)
  }
  const now = options.now ?? systemClock
  const signal = options.signal ?? new AbortController().signal
  const start = now()
  try {
    const output = (await runner(signal)) as T
    return { mode, ok: true, output, durationMs: now() - start }
  } catch (err) {
    return { mode, ok: false, error: errorMessage(err), durationMs: now() - start }
  }
}
