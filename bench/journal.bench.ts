/**
 * Conversation journals against LangGraph checkpoint savers, same process,
 * same disk, same database.
 *
 * 1. Append throughput: N durable turn appends per journal, against N
 *    `put`s of one checkpoint per turn (the new turn as its channel value,
 *    the smallest write a saver can do for a turn).
 * 2. Resume: time to load a 10k-turn run (our `loadRun`) against rebuilding
 *    the same transcript from the saver (`list` over the thread's 10k
 *    checkpoints), plus the saver's `getTuple` (latest checkpoint only).
 *
 * Both SQLite sides use WAL (SqliteSaver turns it on itself). Prefill of the
 * 10k-turn runs is not timed and uses relaxed durability where a driver
 * allows it. Ratios > 1 mean ours is faster. Env: BENCH_APPENDS (default
 * 300), BENCH_RESUME_TURNS (default 10000), BENCH_PG_LIST_SAMPLE (default
 * 200: PostgresSaver.list is timed over that many checkpoints and scaled to
 * the run length, since listing all 10k takes minutes), DATABASE_URL.
 *
 *   cd bench && pnpm exec tsx --conditions=source journal.bench.ts
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Checkpoint, emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint'
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres'
import { SqliteSaver } from '@langchain/langgraph-checkpoint-sqlite'
import {
  type ConversationJournal,
  type ConversationTurn,
  SqlConversationJournal,
  betterSqlite3ToSqlAdapter,
  pgToSqlAdapter,
} from '@tangle-network/agent-runtime-conversations'
import { FileConversationJournal } from '@tangle-network/agent-runtime-conversations/node'
import Database from 'better-sqlite3'
import { createPgPool, DATABASE_URL } from '../test/support/pg.js'

const APPENDS = Number(process.env.BENCH_APPENDS ?? 300)
const RESUME_TURNS = Number(process.env.BENCH_RESUME_TURNS ?? 10_000)
const tag = `bench_${process.pid}`

function turn(runId: string, index: number): ConversationTurn {
  const speaker = index % 2 === 0 ? 'alice' : 'bob'
  return {
    index,
    speaker,
    turnId: `${runId}.t${index}.${speaker}`,
    text: `Turn ${index}: a reply of about a hundred characters, which is what a short agent message looks like.`,
    usage: { tokensIn: 120, tokensOut: 30, costUsd: 0.0004, model: 'm' },
    attempts: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    endedAt: '2026-01-01T00:00:01.000Z',
  }
}

// One LangGraph checkpoint per turn: the turn is the channel value that changed.
function checkpointFor(index: number, previous: Checkpoint): Checkpoint {
  const version = index + 1
  return {
    ...previous,
    id: uuid6(-3),
    ts: new Date().toISOString(),
    channel_values: { turn: turn('lg', index) },
    channel_versions: { turn: version },
  }
}

interface Saver {
  put: PostgresSaver['put']
  getTuple: PostgresSaver['getTuple']
  list: PostgresSaver['list']
}

async function saverAppends(saver: Saver, thread: string, n: number): Promise<void> {
  let config = { configurable: { thread_id: thread, checkpoint_ns: '' } }
  let previous = emptyCheckpoint()
  for (let i = 0; i < n; i++) {
    const cp = checkpointFor(i, previous)
    config = (await saver.put(config, cp, { source: 'loop', step: i, parents: {} }, { turn: i + 1 })) as typeof config
    previous = cp
  }
}

async function journalAppends(journal: ConversationJournal, runId: string, n: number): Promise<void> {
  await journal.beginRun(runId, '2026-01-01T00:00:00.000Z')
  for (let i = 0; i < n; i++) await journal.appendTurn(runId, turn(runId, i))
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

// `sample` < RESUME_TURNS lists only that many checkpoints and scales the
// time up linearly (PostgresSaver.list costs ~15 ms per checkpoint here, so
// a full 10k listing would take minutes).
async function saverResume(saver: Saver, thread: string, sample = RESUME_TURNS): Promise<{ list: number; latest: number }> {
  const config = { configurable: { thread_id: thread, checkpoint_ns: '' } }
  const list = await timed(async () => {
    const turns: unknown[] = []
    for await (const t of saver.list(config, sample < RESUME_TURNS ? { limit: sample } : undefined)) turns.push(t.checkpoint.channel_values.turn)
    if (turns.length !== sample) throw new Error(`saver listed ${turns.length} checkpoints, expected ${sample}`)
  })
  const latest = await timed(() => saver.getTuple(config))
  return { list: (list * RESUME_TURNS) / sample, latest }
}

async function journalResume(journal: ConversationJournal, runId: string): Promise<number> {
  return timed(async () => {
    const entry = await journal.loadRun(runId)
    if (entry?.turns.length !== RESUME_TURNS) throw new Error(`journal loaded ${entry?.turns.length} turns, expected ${RESUME_TURNS}`)
  })
}

const rows: string[][] = []
const report = (what: string, oursName: string, ours: number, theirsName: string, theirs: number) => {
  rows.push([what, `${oursName} ${ours.toFixed(1)} ms`, `${theirsName} ${theirs.toFixed(1)} ms`, `${(theirs / ours).toFixed(2)}x`])
}

const dir = await mkdtemp(join(tmpdir(), 'journal-bench-'))
const pool = createPgPool(4)
const pgSaver = PostgresSaver.fromConnString(DATABASE_URL, { schema: tag })
try {
  // --- setup
  const sqliteDb = new Database(join(dir, 'ours.db'))
  sqliteDb.pragma('journal_mode = WAL')
  const sqliteJournal = new SqlConversationJournal(betterSqlite3ToSqlAdapter(sqliteDb), 'bench')
  await sqliteJournal.migrate()
  const sqliteSaver = SqliteSaver.fromConnString(join(dir, 'langgraph.db'))
  const pgJournal = new SqlConversationJournal(pgToSqlAdapter(pool), tag)
  await pgJournal.migrate()
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${tag}`)
  await pgSaver.setup()
  const fileJournal = new FileConversationJournal(join(dir, 'ours.jsonl'))

  // --- 1. durable append throughput
  const fileAppend = await timed(() => journalAppends(fileJournal, 'append', APPENDS))
  const sqliteAppend = await timed(() => journalAppends(sqliteJournal, 'append', APPENDS))
  const sqliteSaverAppend = await timed(() => saverAppends(sqliteSaver, 'append', APPENDS))
  const pgAppend = await timed(() => journalAppends(pgJournal, 'append', APPENDS))
  const pgSaverAppend = await timed(() => saverAppends(pgSaver, 'append', APPENDS))
  report(`${APPENDS} appends`, 'file (fsync)', fileAppend, 'SqliteSaver.put', sqliteSaverAppend)
  report(`${APPENDS} appends`, 'SQLite', sqliteAppend, 'SqliteSaver.put', sqliteSaverAppend)
  report(`${APPENDS} appends`, 'PostgreSQL', pgAppend, 'PostgresSaver.put', pgSaverAppend)

  // --- 2. prefill 10k-turn runs (untimed)
  const lines = [JSON.stringify({ type: 'begin', runId: 'resume', startedAt: '2026-01-01T00:00:00.000Z' })]
  for (let i = 0; i < RESUME_TURNS; i++) lines.push(JSON.stringify({ type: 'turn', runId: 'resume', turn: turn('resume', i) }))
  await writeFile(join(dir, 'resume.jsonl'), `${lines.join('\n')}\n`)
  sqliteDb.pragma('synchronous = OFF')
  await journalAppends(sqliteJournal, 'resume', RESUME_TURNS)
  sqliteDb.pragma('synchronous = FULL')
  ;(sqliteSaver as unknown as { db: Database.Database }).db.pragma('synchronous = OFF')
  await saverAppends(sqliteSaver, 'resume', RESUME_TURNS)
  const fastPool = createPgPool(1, { options: '-c synchronous_commit=off' })
  await journalAppends(new SqlConversationJournal(pgToSqlAdapter(fastPool), tag), 'resume', RESUME_TURNS)
  await saverAppends(new PostgresSaver(fastPool, undefined, { schema: tag }), 'resume', RESUME_TURNS)
  await fastPool.end()

  // --- 3. resume a 10k-turn run, each from a fresh instance
  const fileResume = await journalResume(new FileConversationJournal(join(dir, 'resume.jsonl')), 'resume')
  const sqliteResume = await journalResume(new SqlConversationJournal(betterSqlite3ToSqlAdapter(new Database(join(dir, 'ours.db'))), 'bench'), 'resume')
  const sqliteSaverResume = await saverResume(SqliteSaver.fromConnString(join(dir, 'langgraph.db')), 'resume')
  const pgResume = await journalResume(new SqlConversationJournal(pgToSqlAdapter(pool), tag), 'resume')
  const pgSample = Math.min(RESUME_TURNS, Number(process.env.BENCH_PG_LIST_SAMPLE ?? 200))
  const pgSaverResume = await saverResume(pgSaver, 'resume', pgSample)
  const label = `resume ${RESUME_TURNS} turns`
  report(label, 'file', fileResume, 'SqliteSaver.list', sqliteSaverResume.list)
  report(label, 'SQLite', sqliteResume, 'SqliteSaver.list', sqliteSaverResume.list)
  report(label, 'PostgreSQL', pgResume, pgSample < RESUME_TURNS ? `PostgresSaver.list (${pgSample} listed, scaled)` : 'PostgresSaver.list', pgSaverResume.list)
  report(`${label} (saver: latest only)`, 'SQLite', sqliteResume, 'SqliteSaver.getTuple', sqliteSaverResume.latest)
  report(`${label} (saver: latest only)`, 'PostgreSQL', pgResume, 'PostgresSaver.getTuple', pgSaverResume.latest)
  await fileJournal.close()
} finally {
  await pool.query(`DROP TABLE IF EXISTS ${tag}_turns`).catch(() => undefined)
  await pool.query(`DROP TABLE IF EXISTS ${tag}_runs`).catch(() => undefined)
  await pool.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`).catch(() => undefined)
  await pgSaver.end().catch(() => undefined)
  await pool.end()
  await rm(dir, { recursive: true, force: true })
}

const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)))
console.log('journal benchmark (ratio = LangGraph time / our time; > 1 means ours is faster)')
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '))
