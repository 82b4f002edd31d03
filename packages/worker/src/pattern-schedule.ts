/**
 * A loop pattern's `cadence` as a worker schedule: each slot runs the pattern
 * once on one worker, with its budget in the PostgreSQL ledger every worker
 * shares, so N workers never spend more than one pattern's daily cap.
 */
import { ConfigError } from '@tangle-network/agent-runtime-core'
import { type PatternRunSummary, type RunPatternOptions, runPattern } from '@tangle-network/agent-runtime-cli'
import { type CadenceSchedule, cadenceToCron } from './cadence.js'

/** Options of {@link patternSchedule}: `runPattern`'s, with the ledger required to be PostgreSQL. @experimental */
export interface PatternScheduleOptions extends Omit<RunPatternOptions, 'signal' | 'ledger'> {
  /** `postgres://…`: the budget ledger all workers share (usually the queue's own database). */
  ledger: string
  /** Called with each run's summary (for logs or metrics). */
  onRun?(summary: PatternRunSummary): void
}

/**
 * Schedules a pattern's `cadence` on graphile-worker's crontab (pass the result in `runWorker({ schedules })`).
 * @experimental
 * @example
 * const schedule = patternSchedule({ pattern, root: '/srv/repo', backend, workspace: createGitWorkspace({ repoRoot: '/srv/repo' }), ledger: process.env.DATABASE_URL! })
 * await runWorker({ connectionString: process.env.DATABASE_URL!, schedules: [schedule] })
 */
export function patternSchedule(options: PatternScheduleOptions): CadenceSchedule {
  const { onRun, ...run } = options
  if (typeof options.ledger !== 'string' || !/^postgres(ql)?:\/\//.test(options.ledger)) {
    throw new ConfigError(`patternSchedule(${options.pattern?.id ?? '?'}): ledger must be a postgres:// URL so every worker shares one budget, got ${JSON.stringify(options.ledger)}`)
  }
  cadenceToCron(options.pattern.cadence)
  return {
    id: options.pattern.id,
    cadence: options.pattern.cadence,
    async run({ signal }) {
      const summary = await runPattern({ ...run, signal })
      onRun?.(summary)
      return summary
    },
  }
}
