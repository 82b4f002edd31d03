/**
 * The chat-handler example: a real HTTP server whose POST /chat route runs
 * handleChatTurn, and a page that renders the NDJSON stream as it arrives.
 *   node --conditions=source --import tsx examples/chat-handler/main.ts
 * PORT (default 3000; 0 picks a free one), CHAT_DB (SQLite file; default in
 * memory), CHAT_TOKEN_DELAY_MS (scripted backend speed), TANGLE_API_KEY or
 * OPENAI_API_KEY (use a real model).
 */
import { startChatServer } from './server.js'

const { url, stop } = await startChatServer(Number(process.env.PORT ?? 3000), { dbPath: process.env.CHAT_DB || undefined })
console.log(`chat-handler listening on ${url}`)
const shutdown = () => void stop().then(() => process.exit(0))
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)
