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
 * 3. The file journal against a bare write + fdatasync loop of the same bytes,
 *    the physical limit of a durable append on this disk.
 * 4. Fresh-instance resume of a 20-turn run inside a large file shared with
 *    50 other runs (BENCH_INDEX_BULK_TURNS turns), with the resume index
 *    `<journal>.idx` against without it (the whole file read).
 *
 * Durability is stated and matched: both SQLite sides use WAL with
 * synchronous=FULL (read back from each database and printed); both
 * PostgreSQL sides share one server and its synchronous_commit. Prefill of
 * the 10k-turn runs is not timed and uses relaxed durability where a driver
 * allows it. Every measurement runs in paired, interleaved rounds and each
 * ratio is printed as min / median / max. Ratios > 1 mean ours is faster.
 * Env: BENCH_APPENDS (default 300), BENCH_RESUME_TURNS (default 10000),
 * BENCH_ROUNDS (default 5), BENCH_INDEX_BULK_TURNS (default 50000), BENCH_PG_LIST_SAMPLE (default 200:
 * PostgresSaver.list is timed over that many checkpoints and scaled to the
 * run length, since listing all 10k takes minutes), DATABASE_URL.
 *
 *   cd bench && pnpm exec tsx --conditions=source journal.bench.ts
 */
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
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
const INDEX_BULK_TURNS = Number(process.env.BENCH_INDEX_BULK_TURNS ?? 50_000)
const SMALL_TURNS = 20
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

/** LangGraph's resume of the latest state: `getTuple` of the newest checkpoint only. */
async function saverLatest(saver: Saver, thread: string): Promise<number> {
  return timed(async () => {
    const tuple = await saver.getTuple({ configurable: { thread_id: thread, checkpoint_ns: '' } })
    if (!tuple) throw new Error('saver has no checkpoint to resume from')
  })
}

async function journalResume(journal: ConversationJournal, runId: string): Promise<number> {
  return timed(async () => {
    const entry = await journal.loadRun(runId)
    if (entry?.turns.length !== RESUME_TURNS) throw new Error(`journal loaded ${entry?.turns.length} turns, expected ${RESUME_TURNS}`)
  })
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted[sorted.length - 1]! }
}
const fmt = (xs: number[], digits = 2) => {
  const x = stats(xs)
  return `${x.min.toFixed(digits)} / ${x.median.toFixed(digits)} / ${x.max.toFixed(digits)}`
}

/** The physical limit of a durable append: the same bytes, one write + fdatasync each, nothing else. */
async function bareWriteFsync(path: string, n: number): Promise<void> {
  const handle = await open(path, 'a')
  try {
    for (let i = 0; i < n; i++) {
      await handle.write(`${JSON.stringify({ type: 'turn', runId: 'bare', turn: turn('bare', i) })}\n`)
      await handle.datasync()
    }
  } finally {
    await handle.close()
  }
}

/**
 * Runs `variants` once per round, in an order rotated each round, and returns
 * each variant's times: paired, interleaved rounds, so a change in machine
 * load hits every side of a ratio alike.
 */
async function rounds(variants: Record<string, (round: number) => Promise<number>>): Promise<Record<string, number[]>> {
  const names = Object.keys(variants)
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...names]
    for (let k = 0; k < round % names.length; k++) order.push(order.shift()!)
    for (const name of order) out[name]!.push(await variants[name]!(round))
  }
  return out
}

const ratios = (theirs: number[], ours: number[]) => theirs.map((t, i) => t / ours[i]!)
const rows: string[][] = []
const report = (what: string, oursName: string, ours: number[], theirsName: string, theirs: number[]) => {
  rows.push([what, `${oursName} ${stats(ours).median.toFixed(1)} ms`, `${theirsName} ${stats(theirs).median.toFixed(1)} ms`, fmt(ratios(theirs, ours))])
}

const dir = await mkdtemp(join(tmpdir(), 'journal-bench-'))
const pool = createPgPool(4)
const pgSaver = PostgresSaver.fromConnString(DATABASE_URL, { schema: tag })
try {
  // --- setup
  const sqliteDb = new Database(join(dir, 'ours.db'))
  sqliteDb.pragma('journal_mode = WAL')
  sqliteDb.pragma('synchronous = FULL')
  const sqliteJournal = new SqlConversationJournal(betterSqlite3ToSqlAdapter(sqliteDb), 'bench')
  await sqliteJournal.migrate()
  const sqliteSaver = SqliteSaver.fromConnString(join(dir, 'langgraph.db'))
  const pgJournal = new SqlConversationJournal(pgToSqlAdapter(pool), tag)
  await pgJournal.migrate()
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${tag}`)
  await pgSaver.setup()
  // SqliteSaver opens its database lazily; a read makes it set WAL up before we compare settings.
  await sqliteSaver.getTuple({ configurable: { thread_id: 'warm', checkpoint_ns: '' } })
  const saverDb = (sqliteSaver as unknown as { db: Database.Database }).db
  saverDb.pragma('synchronous = FULL')
  const fileJournal = new FileConversationJournal(join(dir, 'ours.jsonl'))

  // --- durability of each side, read back from the engines, so like is compared with like
  const pragma = (db: Database.Database, name: string) => String(db.pragma(name, { simple: true }))
  const SYNC = ['OFF', 'NORMAL', 'FULL', 'EXTRA']
  const pgSync = ((await pool.query('SHOW synchronous_commit')).rows[0] as { synchronous_commit: string }).synchronous_commit
  const pgFsync = ((await pool.query('SHOW fsync')).rows[0] as { fsync: string }).fsync
  const durability = [
    'durability (appends):',
    '  file journal: one write + fdatasync per append; bare loop: the same bytes, write + fdatasync, nothing else',
    `  SQLite: ours journal_mode=${pragma(sqliteDb, 'journal_mode')} synchronous=${SYNC[Number(pragma(sqliteDb, 'synchronous'))]}; SqliteSaver journal_mode=${pragma(saverDb, 'journal_mode')} synchronous=${SYNC[Number(pragma(saverDb, 'synchronous'))]}`,
    `  PostgreSQL: one server and pool setting for both sides: synchronous_commit=${pgSync}, fsync=${pgFsync}`,
  ]

  // --- 1. durable append throughput, paired rounds (a fresh run or thread per round)
  const appends = await rounds({
    bare: (r) => timed(() => bareWriteFsync(join(dir, `bare-${r}.jsonl`), APPENDS)),
    file: (r) => timed(() => journalAppends(fileJournal, `append_${r}`, APPENDS)),
    sqlite: (r) => timed(() => journalAppends(sqliteJournal, `append_${r}`, APPENDS)),
    sqliteSaver: (r) => timed(() => saverAppends(sqliteSaver, `append_${r}`, APPENDS)),
    pg: (r) => timed(() => journalAppends(pgJournal, `append_${r}`, APPENDS)),
    pgSaver: (r) => timed(() => saverAppends(pgSaver, `append_${r}`, APPENDS)),
  })
  report(`${APPENDS} appends`, 'file (fdatasync)', appends.file!, 'bare write+fdatasync', appends.bare!)
  report(`${APPENDS} appends`, 'file (fdatasync)', appends.file!, 'SqliteSaver.put (FULL)', appends.sqliteSaver!)
  report(`${APPENDS} appends`, 'SQLite (FULL)', appends.sqlite!, 'SqliteSaver.put (FULL)', appends.sqliteSaver!)
  report(`${APPENDS} appends`, 'PostgreSQL', appends.pg!, 'PostgresSaver.put', appends.pgSaver!)

  // --- 2. prefill 10k-turn runs (untimed; relaxed durability where the driver allows it)
  const lines = [JSON.stringify({ type: 'begin', runId: 'resume', startedAt: '2026-01-01T00:00:00.000Z' })]
  for (let i = 0; i < RESUME_TURNS; i++) lines.push(JSON.stringify({ type: 'turn', runId: 'resume', turn: turn('resume', i) }))
  await writeFile(join(dir, 'resume.jsonl'), `${lines.join('\n')}\n`)
  sqliteDb.pragma('synchronous = OFF')
  await journalAppends(sqliteJournal, 'resume', RESUME_TURNS)
  sqliteDb.pragma('synchronous = FULL')
  saverDb.pragma('synchronous = OFF')
  await saverAppends(sqliteSaver, 'resume', RESUME_TURNS)
  saverDb.pragma('synchronous = FULL')
  const fastPool = createPgPool(1, { options: '-c synchronous_commit=off' })
  await journalAppends(new SqlConversationJournal(pgToSqlAdapter(fastPool), tag), 'resume', RESUME_TURNS)
  await saverAppends(new PostgresSaver(fastPool, undefined, { schema: tag }), 'resume', RESUME_TURNS)
  await fastPool.end()

  // --- 3. resume a 10k-turn run, each from a fresh instance, paired rounds.
  // Ours loads the whole transcript; LangGraph's equivalent is `list` over the
  // thread's checkpoints, and `getTuple` (the latest checkpoint only) is shown too.
  const pgSample = Math.min(RESUME_TURNS, Number(process.env.BENCH_PG_LIST_SAMPLE ?? 200))
  const freshSqlite = new Database(join(dir, 'ours.db'))
  const resume = await rounds({
    file: () => journalResume(new FileConversationJournal(join(dir, 'resume.jsonl')), 'resume'),
    sqlite: () => journalResume(new SqlConversationJournal(betterSqlite3ToSqlAdapter(freshSqlite), 'bench'), 'resume'),
    pg: () => journalResume(new SqlConversationJournal(pgToSqlAdapter(pool), tag), 'resume'),
    sqliteList: async () => (await saverResume(SqliteSaver.fromConnString(join(dir, 'langgraph.db')), 'resume')).list,
    sqliteLatest: () => saverLatest(SqliteSaver.fromConnString(join(dir, 'langgraph.db')), 'resume'),
    pgList: async () => (await saverResume(pgSaver, 'resume', pgSample)).list,
    pgLatest: () => saverLatest(pgSaver, 'resume'),
  })
  const label = `resume ${RESUME_TURNS} turns`
  const pgListName = pgSample < RESUME_TURNS ? `PostgresSaver.list (${pgSample} listed, scaled)` : 'PostgresSaver.list'
  report(label, 'file', resume.file!, 'SqliteSaver.list', resume.sqliteList!)
  report(label, 'SQLite', resume.sqlite!, 'SqliteSaver.list', resume.sqliteList!)
  report(label, 'PostgreSQL', resume.pg!, pgListName, resume.pgList!)
  report(`${label} vs latest only`, 'file', resume.file!, 'SqliteSaver.getTuple', resume.sqliteLatest!)
  report(`${label} vs latest only`, 'SQLite', resume.sqlite!, 'SqliteSaver.getTuple', resume.sqliteLatest!)
  report(`${label} vs latest only`, 'PostgreSQL', resume.pg!, 'PostgresSaver.getTuple', resume.pgLatest!)
  freshSqlite.close()
  await fileJournal.close()

  // --- 4. fresh-instance resume of a small run in a large shared file: with the
  // resume index (reads the index, then only that run's lines) against without
  // it (index: false reads the whole file). The index is built untimed first.
  const bigPath = join(dir, 'shared.jsonl')
  const bigLines: string[] = []
  for (let r = 0; r < 50; r++) bigLines.push(JSON.stringify({ type: 'begin', runId: `bulk_${r}`, startedAt: '2026-01-01T00:00:00.000Z' }))
  bigLines.push(JSON.stringify({ type: 'begin', runId: 'small', startedAt: '2026-01-01T00:00:00.000Z' }))
  for (let i = 0; i < INDEX_BULK_TURNS; i++) {
    const runId = `bulk_${i % 50}`
    bigLines.push(JSON.stringify({ type: 'turn', runId, turn: turn(runId, Math.floor(i / 50)) }))
    if (i % Math.floor(INDEX_BULK_TURNS / SMALL_TURNS) === 0 && i / Math.floor(INDEX_BULK_TURNS / SMALL_TURNS) < SMALL_TURNS) {
      bigLines.push(JSON.stringify({ type: 'turn', runId: 'small', turn: turn('small', i / Math.floor(INDEX_BULK_TURNS / SMALL_TURNS)) }))
    }
  }
  await writeFile(bigPath, `${bigLines.join('\n')}\n`)
  await new FileConversationJournal(bigPath).loadRun('small')
  const smallResume = async (journal: FileConversationJournal) =>
    timed(async () => {
      const entry = await journal.loadRun('small')
      if (entry?.turns.length !== SMALL_TURNS) throw new Error(`journal loaded ${entry?.turns.length} turns of run small, expected ${SMALL_TURNS}`)
    })
  const indexed = await rounds({
    withIndex: () => smallResume(new FileConversationJournal(bigPath)),
    withoutIndex: () => smallResume(new FileConversationJournal(bigPath, { index: false })),
  })
  report(`fresh resume, ${SMALL_TURNS}-turn run in a ${bigLines.length}-line file`, 'file + index', indexed.withIndex!, 'file, no index', indexed.withoutIndex!)
  console.log(durability.join('\n'))
} finally {
  await pool.query(`DROP TABLE IF EXISTS ${tag}_turns`).catch(() => undefined)
  await pool.query(`DROP TABLE IF EXISTS ${tag}_runs`).catch(() => undefined)
  await pool.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`).catch(() => undefined)
  await pgSaver.end().catch(() => undefined)
  await pool.end()
  await rm(dir, { recursive: true, force: true })
}

rows.unshift(['', 'ours (median)', 'theirs (median)', 'ratio theirs/ours: min / median / max'])
const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)))
console.log(`journal benchmark, ${ROUNDS} paired interleaved rounds (ratio > 1 means ours is faster; against the bare loop, < 1 is the cost over the physical limit)`)
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '))
