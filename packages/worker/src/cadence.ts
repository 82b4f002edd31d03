/**
 * Pattern cadences on graphile-worker's crontab: each schedule is a cron
 * line whose job runs the schedule once per slot across all workers
 * (graphile-worker records each slot, so N workers still run it once).
 */
import { ConfigError } from '@tangle-network/agent-runtime-core'
import { CADENCE_TASK } from './channels.js'

/** One recurring job: `run` is called once per cron slot, on one worker. @experimental */
export interface CadenceSchedule {
  /** Stable id (letters, digits, `-`, `_`): graphile-worker keys the cron slots by it. */
  id: string
  /** Five-field cron (`0 9 * * *`) or `@hourly` / `@daily` / `@weekly`. */
  cadence: string
  run(ctx: { signal: AbortSignal; scheduledAt: Date }): Promise<unknown>
}

const SHORTHAND: Record<string, string> = { '@hourly': '0 * * * *', '@daily': '0 0 * * *', '@weekly': '0 0 * * 0' }
const FIELD = /^[0-9*,/-]+$/

/**
 * A pattern cadence as a five-field cron expression; throws a ConfigError naming the cadence otherwise.
 * @experimental
 * @example
 * cadenceToCron('@daily') // '0 0 * * *'
 */
export function cadenceToCron(cadence: string): string {
  const c = cadence.trim()
  if (SHORTHAND[c]) return SHORTHAND[c]
  const fields = c.split(/\s+/)
  if (fields.length !== 5 || !fields.every((f) => FIELD.test(f))) {
    throw new ConfigError(`cadence ${JSON.stringify(cadence)} is not a five-field cron expression (minute hour day month weekday, e.g. "0 9 * * *") or @hourly/@daily/@weekly`)
  }
  return fields.join(' ')
}

/** Crontab lines for the schedules (no backfill: a slot missed while no worker ran is skipped). @internal */
export function cadenceCrontab(schedules: readonly CadenceSchedule[]): string[] {
  const seen = new Set<string>()
  return schedules.map((s) => {
    if (typeof s?.id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(s.id)) {
      throw new ConfigError(`runWorker: schedules[].id ${JSON.stringify(s?.id)} must be 1-64 letters, digits, '-' or '_'`)
    }
    if (seen.has(s.id)) throw new ConfigError(`runWorker: schedules[].id ${JSON.stringify(s.id)} appears twice; ids must be unique`)
    seen.add(s.id)
    if (typeof s.run !== 'function') throw new ConfigError(`runWorker: schedules[${JSON.stringify(s.id)}].run must be a function`)
    return `${cadenceToCron(s.cadence)} ${CADENCE_TASK} ?id=cadence_${s.id}&max=1 ${JSON.stringify({ id: s.id })}`
  })
}
