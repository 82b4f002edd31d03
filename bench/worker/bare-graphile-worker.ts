/**
 * The baseline worker process: graphile-worker alone with a no-op task that
 * reports when it started each job (over IPC), same pool and concurrency as
 * our workers. Args: connection string, schema, concurrency.
 */
import { Logger, run } from 'graphile-worker'
import pg from 'pg'

const [connectionString, schema, concurrency] = process.argv.slice(2)
const pool = new pg.Pool({ connectionString, max: Math.min(Number(concurrency) + 2, 10) })
pool.on('error', () => {})
pool.on('connect', (client) => client.on('error', () => {}))
const runner = await run({
  pgPool: pool,
  schema,
  concurrency: Number(concurrency),
  noHandleSignals: true,
  pollInterval: 2_000,
  logger: new Logger(() => () => {}),
  taskList: {
    bench_noop: async (payload) => {
      process.send?.({ started: Date.now(), id: (payload as { id: number }).id })
    },
  },
})
process.send?.({ ready: true })
process.once('SIGTERM', async () => {
  await runner.stop()
  await pool.end()
  process.exit(0)
})
