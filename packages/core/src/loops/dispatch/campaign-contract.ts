/**
 * Our own minimal eval-campaign contract, modelled on agent-eval's campaign
 * types (a scenario, a per-cell dispatch with a signal, usage reporting and a
 * span). agent-eval's runners satisfy it structurally, and so can any other
 * harness that runs a variant × scenario matrix.
 */

/** One scenario of a campaign; `id` is the pairing key (`${id}:${rep}` per cell). @experimental */
export interface CampaignScenario {
  id: string
  kind?: string
  tags?: readonly string[]
  seedGroup?: string
  [key: string]: unknown
}

/** Who accounts a cell's dollars: the loop (summed iteration cost) or someone else (e.g. router billing). @experimental */
export type LoopCostSource = 'loop' | 'external'

/** Cost and tokens one dispatch reports for its cell. @experimental */
export interface CampaignUsageReport {
  /** Null when `costSource` is `external`: the campaign meters dollars elsewhere. */
  costUsd: number | null
  inputTokens: number
  outputTokens: number
  costSource: LoopCostSource
  durationMs: number
  /** Iterations the loop ran (also on failure). */
  iterations: number
}

/** Attribute values a campaign span accepts. @experimental */
export type CampaignSpanAttributes = Record<string, string | number | boolean>

/**
 * The cell span a campaign lends to a dispatch. An OpenTelemetry `Span`
 * satisfies it, so loop events become span events of the cell.
 * @experimental
 */
export interface CampaignSpan {
  addEvent(name: string, attributes?: CampaignSpanAttributes, startTime?: number): unknown
  setAttribute?(key: string, value: string | number | boolean): unknown
}

/** What a campaign tells one dispatch. @experimental */
export interface CampaignDispatchContext {
  signal: AbortSignal
  /** Receives the cell's cost and tokens. */
  reportUsage?: (usage: CampaignUsageReport) => void
  /** The cell's span; loop events are forwarded to it. */
  span?: CampaignSpan
  /** `${scenario.id}:${rep}`. */
  cellId?: string
  rep?: number
  /** Trace the loop's own spans should join. */
  traceId?: string
  parentSpanId?: string
}

/** Runs one cell of a profile × scenario campaign and returns its artifact for the judges. @experimental */
export type ProfileDispatchFn<Profile = unknown, Scenario extends CampaignScenario = CampaignScenario, Artifact = unknown> = (
  profile: Profile,
  scenario: Scenario,
  ctx: CampaignDispatchContext,
) => Promise<Artifact>

/** Runs one cell of a campaign without a profile axis. @experimental */
export type CampaignDispatchFn<Scenario extends CampaignScenario = CampaignScenario, Artifact = unknown> = (
  scenario: Scenario,
  ctx: CampaignDispatchContext,
) => Promise<Artifact>
