/**
 * runtime-run: track a task run as a row — status, cost ledger from `llm_call`
 * events, wall time — and persist it to SQLite through the SQL run adapter.
 * Pass a file path as the first argument to keep the database; default is in memory.
 */
import {
  betterSqlite3ToSqlAdapter,
  createSqlRuntimeRunAdapter,
  runAgentTaskStream,
  startRuntimeRun,
} from '@tangle-network/agent-runtime'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'
import Database from 'better-sqlite3'

const db = new Database(process.argv[2] ?? ':memory:')
const runs = createSqlRuntimeRunAdapter(betterSqlite3ToSqlAdapter(db))
await runs.migrate()

const backend = createScriptedBackend({
  turns: [
    [
      { type: 'llm_call', model: 'planner', tokensIn: 1200, tokensOut: 150, costUsd: 0.0021 },
      { type: 'llm_call', model: 'writer', tokensIn: 900, tokensOut: 400, costUsd: 0.0035 },
      { type: 'text_delta', text: 'Q3 summary: revenue up 12%.' },
    ],
    [{ type: 'llm_call', model: 'writer', tokensIn: 300, tokensOut: 0, costUsd: 0.0004 }],
  ],
  // The second task's backend dies mid-run; the run row records the failure.
  fail: { turn: 1, error: new Error('provider timed out') },
})

for (const taskId of ['summarise-q3', 'summarise-q4']) {
  const task = { id: taskId, intent: 'report.summarise', domain: 'finance' }
  const run = startRuntimeRun({ workspaceId: 'acme', taskSpec: task, adapter: runs, id: `${taskId}:run-1` })
  let final: { status: string; reason: string; text?: string } | undefined
  for await (const event of runAgentTaskStream({ task, backend })) {
    run.observe(event)
    if (event.type === 'final') final = event
  }
  run.complete(
    final?.status === 'completed'
      ? { status: 'completed', resultSummary: final.text }
      : { status: 'failed', error: final?.reason ?? 'no final event' },
  )
  await run.persist()
}

for (const row of await runs.listByWorkspace('acme')) {
  const { cost } = row
  console.log(
    `${row.id.padEnd(20)} ${row.status.padEnd(9)} calls=${cost.llmCalls} tokens=${cost.tokensIn}/${cost.tokensOut} usd=${cost.costUsd.toFixed(4)}` +
      (row.error ? ` error="${row.error}"` : ` summary="${row.resultSummary}"`),
  )
}
db.close()
