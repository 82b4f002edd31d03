/** Shared fixtures for the improvement tests: scenarios, judges, scripted reflection backends. */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Judge, Scenario } from '@tangle-network/agent-runtime/improvement'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

/** `n` scenarios with ids `${prefix}-0…`. */
export function scenarios(prefix: string, n: number): Scenario[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}` }))
}

/** Outputs are `{ quality }`; the judge returns it, with a note when it is low. */
export const qualityJudge: Judge<Scenario, { quality: number }> = {
  name: 'quality',
  score: (output) => ({ score: output.quality, notes: output.quality < 0.5 ? 'missed the rule' : 'fine' }),
}

/** A reflection backend that answers every call with these proposals, as the JSON GEPA asks for. */
export function reflectionBackend(proposals: Array<{ label: string; payload: string; rationale?: string; primitive?: string }>) {
  return createScriptedBackend({
    turns: () => [
      { type: 'llm_call', model: 'scripted-reflector', tokensIn: 500, tokensOut: 120, costUsd: 0.01 },
      { type: 'text_delta', text: JSON.stringify({ proposals: proposals.map((p) => ({ rationale: 'because', ...p })) }) },
    ],
  })
}

/** A fresh temp folder. */
export function tempDir(tag: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `improvement-${tag}-`))
}
