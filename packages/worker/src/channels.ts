/**
 * LISTEN/NOTIFY channels shared by dispatchers and workers: one for "abort
 * this delegation" (a cancel on any server reaches the worker running it) and
 * one for "this delegation changed state" (a server's `delegation_status`
 * wait wakes when a worker elsewhere starts or finishes it).
 */
import { errorMessage } from '@tangle-network/agent-runtime-core'
import pg from 'pg'

/** graphile-worker task that runs one delegation (payload `{ taskId }`). @experimental */
export const DELEGATION_TASK = 'agent_runtime_delegation'
/** graphile-worker task that re-queues delegations whose lease ran out. @experimental */
export const SWEEP_TASK = 'agent_runtime_sweep'
/** graphile-worker task that runs one scheduled pattern cadence (payload `{ id }`). @experimental */
export const CADENCE_TASK = 'agent_runtime_cadence'

/** The two channel names of a delegation table prefix. @experimental */
export interface DelegationChannels {
  cancel: string
  status: string
}

/**
 * Channel names for a delegation table prefix (default `agent_runtime`).
 * @experimental
 * @example
 * delegationChannels('agent_runtime') // { cancel: 'agent_runtime_dlg_cancel', status: 'agent_runtime_dlg_status' }
 */
export function delegationChannels(tablePrefix: string): DelegationChannels {
  return { cancel: `${tablePrefix}_dlg_cancel`, status: `${tablePrefix}_dlg_status` }
}

/** Anything with node-postgres's `query`. @internal */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>
}

/** Sends one notification; the payload is a task id. @internal */
export async function notify(db: Queryable, channel: string, taskId: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [channel, taskId])
}

/** A dedicated connection listening on some channels. @internal */
export interface Listener {
  close(): Promise<void>
}

/**
 * Opens one client, LISTENs on `channels` and calls `onMessage(channel, payload)`.
 * A dropped connection is reported through `onError`; the caller decides what to do.
 * @internal
 */
export async function listen(
  connectionString: string,
  channels: readonly string[],
  onMessage: (channel: string, payload: string) => void,
  onError: (message: string) => void,
): Promise<Listener> {
  const client = new pg.Client({ connectionString })
  let closing = false
  client.on('error', (err) => {
    if (!closing) onError(`LISTEN connection lost: ${errorMessage(err)}`)
  })
  client.on('notification', (msg) => {
    if (msg.payload !== undefined) onMessage(msg.channel, msg.payload)
  })
  await client.connect()
  // Channel names come from a validated table prefix; quoting keeps their case.
  for (const ch of channels) await client.query(`LISTEN "${ch}"`)
  return {
    async close() {
      closing = true
      await client.end().catch(() => {})
    },
  }
}
