/**
 * LISTEN/NOTIFY channels shared by dispatchers and workers: one for "abort
 * this delegation" (a cancel on any server reaches the worker running it) and
 * one for "this delegation changed state" (a server's `delegation_status`
 * wait wakes when a worker elsewhere starts or finishes it).
 */
import { errorMessage } from '@tangle-network/agent-runtime-core'
import pg from 'pg'

/** Prefix of the graphile-worker tasks that run one delegation (payload `{ taskId }`); see {@link delegationTask}. @experimental */
export const DELEGATION_TASK = 'agent_runtime_delegation'

/**
 * The graphile-worker task of a delegation profile. A worker registers only
 * the tasks of the delegates it has, so graphile-worker never hands it a
 * delegation it cannot run (a researcher-only worker never takes coder jobs).
 * @experimental
 * @example
 * delegationTask('coder') // 'agent_runtime_delegation_coder'
 */
export function delegationTask(profile: string): string {
  return `${DELEGATION_TASK}_${profile}`
}
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
 * A dropped connection is reported through `onError` and re-opened after
 * `retryMs` (notifications sent meanwhile are lost; the callers' fallbacks
 * are the heartbeat and the status wait's timeout).
 * @internal
 */
export async function listen(
  connectionString: string,
  channels: readonly string[],
  onMessage: (channel: string, payload: string) => void,
  onError: (message: string) => void,
  retryMs = 1_000,
): Promise<Listener> {
  let closing = false
  let client: pg.Client | undefined
  let retry: ReturnType<typeof setTimeout> | undefined
  const open = async (): Promise<void> => {
    const c = new pg.Client({ connectionString })
    client = c
    c.on('notification', (msg) => {
      if (msg.payload !== undefined) onMessage(msg.channel, msg.payload)
    })
    c.on('error', (err) => {
      if (closing || client !== c) return
      onError(`LISTEN connection lost: ${errorMessage(err)}; reconnecting`)
      c.end().catch(() => {})
      reconnect()
    })
    try {
      await c.connect()
      // Channel names come from a validated table prefix; quoting keeps their case.
      for (const ch of channels) await c.query(`LISTEN "${ch}"`)
    } catch (err) {
      // A client that connected but could not LISTEN would otherwise stay open until the process exits.
      await c.end().catch(() => {})
      throw err
    }
  }
  const reconnect = () => {
    if (closing) return
    retry = setTimeout(() => {
      open().catch((err) => {
        onError(`LISTEN reconnect failed: ${errorMessage(err)}`)
        reconnect()
      })
    }, retryMs)
    ;(retry as { unref?: () => void }).unref?.()
  }
  await open()
  return {
    async close() {
      closing = true
      if (retry) clearTimeout(retry)
      await client?.end().catch(() => {})
    },
  }
}
