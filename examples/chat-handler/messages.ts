import type { SqlAdapter } from '@tangle-network/agent-runtime'

/** One persisted chat message. */
export interface ChatMessage {
  role: 'user' | 'assistant'
  text: string
  turnIndex: number
}

/**
 * The product's own message table, over any SqlAdapter (SQLite here, D1 in
 * the Worker). The execution id is a unique key, so even a duplicate persist
 * (e.g. a crash between persist and the replay store's bookkeeping) cannot
 * store a turn twice.
 */
export function createMessageStore(sql: SqlAdapter) {
  let ready: Promise<void> | undefined
  const init = () => {
    ready ??= sql
      .exec(
        'CREATE TABLE IF NOT EXISTS chat_messages (session_id TEXT NOT NULL, turn_index INTEGER NOT NULL, role TEXT NOT NULL, ' +
          'text TEXT NOT NULL, execution_id TEXT NOT NULL, PRIMARY KEY (execution_id, role))',
      )
      .then(() => undefined)
    return ready
  }
  return {
    async history(sessionId: string): Promise<ChatMessage[]> {
      await init()
      const rows = await sql.query<{ role: ChatMessage['role']; text: string; turn_index: number }>(
        `SELECT role, text, turn_index FROM chat_messages WHERE session_id = ? ORDER BY turn_index, CASE role WHEN 'user' THEN 0 ELSE 1 END`,
        [sessionId],
      )
      return rows.map((r) => ({ role: r.role, text: r.text, turnIndex: Number(r.turn_index) }))
    },
    /** Stores the user's message and the assistant's answer of one turn together. */
    async saveTurn(turn: { sessionId: string; turnIndex: number; executionId: string; userText: string; assistantText: string }) {
      await init()
      for (const [role, text] of [
        ['user', turn.userText],
        ['assistant', turn.assistantText],
      ] as const) {
        await sql.exec('INSERT INTO chat_messages (session_id, turn_index, role, text, execution_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING', [
          turn.sessionId,
          turn.turnIndex,
          role,
          text,
          turn.executionId,
        ])
      }
    },
  }
}

export type MessageStore = ReturnType<typeof createMessageStore>
