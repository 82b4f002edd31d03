/**
 * Console reporting of the demo: one progress line per trace event as the
 * loop runs. The tree at the end comes from `renderLoopTrace`.
 */
import type { LoopTraceEmitter, LoopTraceEvent } from '@tangle-network/agent-runtime'
import type { Iteration } from '@tangle-network/agent-runtime/loops'
import { type CoderOutput, type CoderTask, type CoderVerdict, isSecretPath } from '@tangle-network/agent-runtime/profiles'

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

/** Why a check failed, in words a newcomer can follow. */
function reason(check: CoderVerdict['failedChecks'][number], verdict: CoderVerdict, maxDiffLines: number): string {
  switch (check) {
    case 'noop':
      return 'changed nothing, and an empty patch is rejected as a no-op'
    case 'secretFloor':
      return `wrote a secret file (${verdict.touchedPaths.filter(isSecretPath).join(', ')}), which the always-on secret-path floor forbids`
    case 'forbiddenPaths':
      return 'touched a forbidden path'
    case 'diffSize':
      return `changed ${verdict.diffLines} lines, more than the ${maxDiffLines} allowed`
    case 'tests':
      return 'the tests still fail'
    case 'typecheck':
      return 'the typecheck fails'
  }
}

/**
 * One line per candidate saying why it was accepted or rejected, then how the
 * score relates to acceptance (a rejected candidate may well score higher than another).
 */
export function explainVerdicts(iterations: readonly Iteration<CoderTask, CoderOutput, CoderVerdict>[], maxDiffLines: number): string[] {
  const width = Math.max(...iterations.map((it) => `#${it.index} ${it.agentRunName}`.length))
  const lines = iterations.map((it) => {
    const who = `#${it.index} ${it.agentRunName}`.padEnd(width)
    const v = it.verdict
    if (it.error || !v) return `  ✗ ${who}  failed to run: ${it.error ?? 'no verdict'}`
    if (v.valid) return `  ✓ ${who}  accepted: passed every check (${v.diffLines} of ${maxDiffLines} lines changed)`
    return `  ✗ ${who}  rejected: ${v.failedChecks.map((check) => reason(check, v, maxDiffLines)).join('; ')}`
  })
  lines.push(
    `  (score = 0.5·tests + 0.3·typecheck + 0.2·(1 − lines/${maxDiffLines}) ranks candidates; any failed check rejects one, whatever its score)`,
  )
  return lines
}
