import { appendFile, mkdir, readFile, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { ValidationError } from '@tangle-network/agent-runtime-core'
import { cellRecordSchema } from '../storage.js'
import type { CampaignStorage, CellRecord } from '../types.js'

/** Options of {@link createJsonlCampaignStorage}. @experimental */
export interface JsonlCampaignStorageOptions {
  /** Directory of the campaign; created if missing. */
  runDir: string
  /** File name inside `runDir` (default `cells.jsonl`). */
  fileName?: string
}

/**
 * Campaign storage as JSON lines under `runDir`: one appended line per
 * finished cell. On open it reads every complete line; a line torn by a kill
 * mid-write is cut off (that cell simply runs again). Node-only.
 * @experimental
 * @example
 * const storage = await createJsonlCampaignStorage({ runDir: '.agent-runtime/optimize/support-prompt' })
 */
export async function createJsonlCampaignStorage(options: JsonlCampaignStorageOptions): Promise<CampaignStorage & { readonly path: string }> {
  if (!options.runDir) throw new ValidationError('createJsonlCampaignStorage: `runDir` is required (the folder that keeps the campaign cells).')
  await mkdir(options.runDir, { recursive: true })
  const path = join(options.runDir, options.fileName ?? 'cells.jsonl')
  const cells = new Map<string, CellRecord>()
  let text = ''
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const lines = text.split('\n')
  lines.forEach((line, i) => {
    if (!line.trim()) return
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      // Only the last line can be torn by a kill; anything earlier is corruption.
      if (i === lines.length - 1) return
      throw new ValidationError(`${path}:${i + 1}: not valid JSON; the campaign file is corrupt (move it aside to start over).`)
    }
    const parsed = cellRecordSchema.safeParse(json)
    if (!parsed.success) throw new ValidationError(`${path}:${i + 1}: not a cell record: ${parsed.error.message}`)
    cells.set(parsed.data.key, parsed.data)
  })
  // A kill mid-write leaves a tail with no newline: cut it off so the file stays one record per line.
  if (text.length > 0 && !text.endsWith('\n')) await truncate(path, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)))
  let chain: Promise<void> = Promise.resolve()
  return {
    path,
    async get(key) {
      const found = cells.get(key)
      return found ? structuredClone(found) : undefined
    },
    put(record) {
      chain = chain.then(() => appendFile(path, `${JSON.stringify(record)}\n`))
      cells.set(record.key, structuredClone(record))
      return chain
    },
    async close() {
      await chain
    },
  }
}
