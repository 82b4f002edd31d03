/**
 * The two embedded agents of the example. Both are backends, so either can be
 * swapped for `createDefaultBackend(process.env)` (a real model) unchanged.
 * The writer drafts a release note and revises it from review notes; the
 * reviewer reads the draft it is given and answers with a JSON verdict.
 */
import type { AgentExecutionBackend } from '@tangle-network/agent-runtime'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

/** Writes a draft; when the message carries review notes, writes the revision they ask for. */
export function createWriterBackend(): AgentExecutionBackend {
  return createScriptedBackend({
    kind: 'writer',
    turns: (input) => {
      const revising = (input.message ?? '').includes('Review notes:')
      const chunks = revising
        ? ['Retries now back off ', 'exponentially (250 ms → 8 s). ', 'Fixes #412; ', 'see docs/retries.md.']
        : ['Retries now back off ', 'exponentially. ', 'This fixes everything.']
      return [
        { type: 'llm_call', model: 'writer-model', tokensIn: 200, tokensOut: 40, costUsd: 0.0004 },
        ...chunks.map((text) => ({ type: 'text_delta' as const, text })),
      ]
    },
  })
}

/** Checks the draft it is given: it must cite an issue and must not overclaim. Answers JSON. */
export function createReviewerBackend(): AgentExecutionBackend {
  return createScriptedBackend({
    kind: 'reviewer',
    turns: (input) => {
      const draft = /<draft>([\s\S]*)<\/draft>/.exec(input.message ?? '')?.[1] ?? ''
      const problems = [
        ...(/#\d+/.test(draft) ? [] : ['cite the issue it fixes']),
        ...(/fixes everything/i.test(draft) ? ['do not claim it fixes everything'] : []),
        ...(/\d+\s?m?s\b/.test(draft) ? [] : ['give the backoff bounds']),
      ]
      const verdict = { approved: problems.length === 0, problems, score: Math.max(0, 1 - problems.length / 3) }
      return [
        { type: 'llm_call', model: 'reviewer-model', tokensIn: 150, tokensOut: 30, costUsd: 0.0003 },
        { type: 'text_delta', text: JSON.stringify(verdict) },
      ]
    },
  })
}
