/**
 * Console reporting of the demo: one progress line per trace event as the
 * loop runs. The tree at the end comes from `renderLoopTrace`.
 */
import type { LoopTraceEmitter, LoopTraceEvent } from '@tangle-network/agent-runtime'

type Ended = Extract<LoopTraceEvent, { kind: 'loop.iteration.ended' }>['payload']

const label = (index: number, name: string): string => `[#${index} ${name}]`

function verdictLine(p: Ended): string {
  if (p.error) return `error     ${p.error}`
  const v = p.verdict
  if (!v) return 'no verdict'
  return `${v.valid ? 'accepted' : 'REJECTED'}  score ${v.score.toFixed(3)}  ${v.notes ?? ''}`
}

/** A trace emitter that prints progress lines and keeps every event for the summary. */
export function createProgressReporter(write: (line: string) => void): LoopTraceEmitter & { events: LoopTraceEvent[] } {
  const events: LoopTraceEvent[] = []
  const names = new Map<number, string>()
  return {
    events,
    emit(event) {
      events.push(event)
      switch (event.kind) {
        case 'loop.started':
          write(`loop ${event.runId} started: driver ${event.payload.driver}, candidates ${event.payload.agentRunNames.join(', ')}`)
          break
        case 'loop.plan':
          write(`round ${event.payload.roundIndex}: ${event.payload.moveKind} of ${event.payload.plannedCount} (${event.payload.rationale ?? 'no rationale'})`)
          break
        case 'loop.iteration.started':
          names.set(event.payload.iterationIndex, event.payload.agentRunName)
          write(`${label(event.payload.iterationIndex, event.payload.agentRunName)} started`)
          break
        case 'loop.iteration.dispatch':
          write(`${label(event.payload.iterationIndex, names.get(event.payload.iterationIndex) ?? '?')} running in ${event.payload.sandboxId ?? 'a sandbox'}`)
          break
        case 'loop.iteration.ended':
          write(`${label(event.payload.iterationIndex, event.payload.agentRunName)} ${verdictLine(event.payload)}`)
          break
        case 'loop.decision':
          write(`decision: ${event.payload.decision}`)
          break
        default:
          break
      }
    },
  }
}
