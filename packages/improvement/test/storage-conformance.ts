/** One spec every CampaignStorage must pass (memory, JSON lines, SQLite, PostgreSQL). */
import type { CampaignStorage, CellRecord } from '@tangle-network/agent-runtime/improvement'
import { expect, it } from 'vitest'

export function cell(surfaceHash: string, scenarioId: string, rep: number, value: number): CellRecord {
  return {
    key: `${surfaceHash}:42:${scenarioId}:${rep}`,
    surfaceHash,
    seed: 42,
    scenarioId,
    rep,
    cellId: `${scenarioId}:${rep}`,
    value,
    scores: { quality: value },
    notes: { quality: `note ${scenarioId} "quoted" \n newline` },
    output: `output of ${scenarioId}`,
    usage: { tokensIn: 10, tokensOut: 5, costUsd: 0.001 },
  }
}

/** Registers the conformance cases; `open` returns a storage over the same place each call (a reopen). */
export function campaignStorageConformance(name: string, open: () => Promise<CampaignStorage>): void {
  it(`${name}: put then get returns an equal record; unknown keys are undefined`, async () => {
    const storage = await open()
    const a = cell('h1', 's1', 0, 0.5)
    await storage.put(a)
    expect(await storage.get(a.key)).toEqual(a)
    expect(await storage.get('h1:42:s1:9')).toBeUndefined()
    await storage.close?.()
  })

  it(`${name}: a reopened storage still has every record (what a resumed campaign relies on)`, async () => {
    const first = await open()
    const records = [cell('h2', 's1', 0, 1), cell('h2', 's1', 1, 0), cell('h2', 's2', 0, 0.25)]
    for (const r of records) await first.put(r)
    await first.close?.()
    const second = await open()
    for (const r of records) expect(await second.get(r.key)).toEqual(r)
    await second.close?.()
  })

  it(`${name}: a second put of a key replaces the first; returned records are copies`, async () => {
    const storage = await open()
    await storage.put(cell('h3', 's1', 0, 0.1))
    await storage.put(cell('h3', 's1', 0, 0.9))
    const got = await storage.get(cell('h3', 's1', 0, 0).key)
    expect(got?.value).toBe(0.9)
    got!.value = 0
    expect((await storage.get(cell('h3', 's1', 0, 0).key))?.value).toBe(0.9)
    await storage.close?.()
  })
}
