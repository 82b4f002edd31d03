import type { DefaultVerdict, LoopAgentProfile } from '../../contracts/loop.js'
import type { SandboxBox, SandboxCreateOptions, SandboxEvent } from '../../contracts/sandbox.js'
import { ValidationError, createAbortError } from '../../errors.js'
import { envelopeToMove, extractTopologyEnvelope } from './envelope.js'
import { buildPlannerPrompt } from './planner-prompt.js'
import type { PlannerContext, TopologyPlanner } from './topology-move.js'

/** Options of {@link createSandboxPlanner}. @experimental */
export interface SandboxPlannerOptions<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict> {
  /** Where planner sandboxes come from; any sandbox client. */
  client: { create(options?: SandboxCreateOptions, request?: { signal?: AbortSignal }): Promise<SandboxBox> }
  /** The planning agent's profile; `metadata.backendType` picks the harness (default `opencode`). */
  profile: LoopAgentProfile
  /** Turns a raw envelope task into a loop task; throw to reject it. */
  decodeTask: (raw: unknown) => Task
  /** Replaces the default prompt ({@link buildPlannerPrompt}). */
  buildPrompt?: (ctx: PlannerContext<Task, Output, Verdict>) => string | Promise<string>
  /** Replaces the default envelope reader ({@link extractTopologyEnvelope}). */
  parseEnvelope?: (events: SandboxEvent[]) => unknown
  /** Extra sandbox create options; they may not replace `backend.profile`. */
  sandboxOverrides?: SandboxCreateOptions
  /** `provider/model` for the planning prompt. */
  model?: string
  signal?: AbortSignal
  /** Told when a planner sandbox could not be deleted (teardown is best-effort). */
  onTeardownError?: (err: unknown, sandboxId: string) => void
}

/**
 * A planner that asks an agent in a fresh sandbox for each round's move. The
 * agent answers with a topology envelope ({@link TOPOLOGY_ENVELOPE_INSTRUCTIONS});
 * the planner sandbox is deleted after every round, even when the round fails.
 * Errors: {@link ValidationError} for a client without `create` or a missing
 * `decodeTask`; `PlannerError` for a missing or unusable envelope.
 * @experimental
 * @example
 * const planner = createSandboxPlanner({
 *   client: sandbox,
 *   profile: { name: 'planner', metadata: { backendType: 'claude-code' } },
 *   decodeTask: (raw) => raw as Task,
 * })
 * const driver = createDynamicDriver({ planner, maxIterations: 8 })
 */
export function createSandboxPlanner<Task = unknown, Output = unknown, Verdict extends DefaultVerdict = DefaultVerdict>(
  options: SandboxPlannerOptions<Task, Output, Verdict>,
): TopologyPlanner<Task, Output, Verdict> {
  if (!options?.client || typeof options.client.create !== 'function') {
    throw new ValidationError('createSandboxPlanner: client.create is required; pass a sandbox client such as createLocalSandboxClient().')
  }
  if (typeof options.decodeTask !== 'function') {
    throw new ValidationError('createSandboxPlanner: decodeTask is required; pass (raw) => Task to turn envelope tasks into loop tasks.')
  }
  const { client, profile, decodeTask, sandboxOverrides = {} } = options
  const buildPrompt = options.buildPrompt ?? ((ctx: PlannerContext<Task, Output, Verdict>) => buildPlannerPrompt(ctx))
  const parseEnvelope = options.parseEnvelope ?? extractTopologyEnvelope

  return async (ctx) => {
    const signal = ctx.signal ?? options.signal
    if (signal?.aborted) throw createAbortError('planner aborted before its sandbox was created')
    const prompt = await buildPrompt(ctx)
    const createOptions: SandboxCreateOptions = {
      name: `loop-planner-r${ctx.roundIndex}`,
      ...sandboxOverrides,
      backend: {
        ...sandboxOverrides.backend,
        type: sandboxOverrides.backend?.type ?? profile?.metadata?.backendType ?? 'opencode',
        profile,
      },
    }
    const box = await client.create(createOptions, signal ? { signal } : undefined)
    const events: SandboxEvent[] = []
    try {
      for await (const event of box.streamPrompt(prompt, { signal, model: options.model })) {
        events.push(event)
        if (signal?.aborted) throw createAbortError('planner aborted while streaming')
      }
    } finally {
      // The planner box is ours alone; leaving it alive leaks one sandbox per round.
      try {
        await box.delete?.()
      } catch (err) {
        options.onTeardownError?.(err, box.id)
      }
    }
    return envelopeToMove<Task>(parseEnvelope(events), { rootTask: ctx.task, decodeTask })
  }
}
