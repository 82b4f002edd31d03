/**
 * basic-task: run one task against a backend and print its event stream.
 * The backend here is scripted (no key, no network); swap in any
 * AgentExecutionBackend and the stream keeps the same shape.
 */
import { type RuntimeStreamEvent, runAgentTaskStream } from '@tangle-network/agent-runtime'
import { createScriptedBackend } from '@tangle-network/agent-runtime/testing'

const backend = createScriptedBackend({
  kind: 'scripted-llm',
  turns: [
    [
      { type: 'llm_call', model: 'demo-model', tokensIn: 42, tokensOut: 9, costUsd: 0.0004 },
      { type: 'tool_call', toolName: 'search_docs', toolCallId: 'call-1', args: { query: 'refund policy' } },
      { type: 'text_delta', text: 'Refunds are ' },
      { type: 'text_delta', text: 'accepted within 30 days.' },
    ],
  ],
})

const task = { id: 'answer-refund-question', intent: 'support.answer' }

function describe(e: RuntimeStreamEvent): string {
  switch (e.type) {
    case 'readiness_end':
      return `${e.decision.status} (score ${e.knowledge.readinessScore.toFixed(2)})`
    case 'session_created':
    case 'session_resumed':
      return `session ${e.session.id} on ${e.session.backend}`
    case 'llm_call':
      return `${e.model}: ${e.tokensIn} in / ${e.tokensOut} out, $${e.costUsd}`
    case 'tool_call':
      return `${e.toolName}(${JSON.stringify(e.args)})`
    case 'text_delta':
      return JSON.stringify(e.text)
    case 'task_end':
      return `${e.status}: ${e.reason}`
    case 'final':
      return `${e.status} -> ${JSON.stringify(e.text ?? '')}`
    default:
      return ''
  }
}

for await (const event of runAgentTaskStream({ task, backend, input: { task, message: 'Can I get a refund?' }, newId: () => 'session-1' })) {
  console.log(`${event.type.padEnd(16)} ${describe(event)}`.trimEnd())
}
