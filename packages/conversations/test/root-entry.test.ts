import { readFile, readdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as conversations from '@tangle-network/agent-runtime-conversations'
import * as umbrella from '@tangle-network/agent-runtime'
import { expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))

async function sources(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sources(path)))
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

it('the root entry (everything outside src/node) imports no node: modules, so it runs on Workers', async () => {
  const offenders: string[] = []
  for (const file of await sources(SRC)) {
    if (relative(SRC, file).startsWith('node')) continue
    if (/from\s+['"]node:|import\(\s*['"]node:/.test(await readFile(file, 'utf8'))) offenders.push(relative(SRC, file))
  }
  expect(offenders).toEqual([])
})

it('the umbrella package re-exports the conversation API and the SQL adapters from its root', () => {
  for (const name of ['defineConversation', 'runConversation', 'runConversationStream', 'createConversationBackend', 'SqlConversationJournal', 'InMemoryConversationJournal', 'ConversationLeaseError', 'FORWARD_HEADERS', 'readDepth', 'd1ToSqlAdapter', 'pgToSqlAdapter', 'betterSqlite3ToSqlAdapter', 'turnId', 'slugifySpeaker']) {
    expect(typeof (conversations as Record<string, unknown>)[name], name).not.toBe('undefined')
    expect((umbrella as Record<string, unknown>)[name], name).toBe((conversations as Record<string, unknown>)[name])
  }
  expect('FileConversationJournal' in conversations).toBe(false)
})
