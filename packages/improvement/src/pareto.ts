/** The Pareto frontier over per-scenario scores, and frontier parent sampling. */
import type { ParetoParent } from './types.js'

/**
 * The candidates no other candidate dominates, where A dominates B when A is
 * at least as good on every scenario and better on one. A missing scenario
 * counts as the lowest score seen on it.
 * @experimental
 * @example
 * paretoFrontier([{ objectives: { a: 1, b: 0 } }, { objectives: { a: 0, b: 1 } }, { objectives: { a: 0, b: 0 } }]) // the first two
 */
export function paretoFrontier<P extends { objectives: Record<string, number> }>(candidates: readonly P[]): P[] {
  const scenarios = [...new Set(candidates.flatMap((c) => Object.keys(c.objectives)))]
  const floor: Record<string, number> = {}
  for (const s of scenarios) floor[s] = Math.min(...candidates.map((c) => c.objectives[s] ?? Number.POSITIVE_INFINITY))
  const v = (c: P, s: string) => c.objectives[s] ?? floor[s]!
  const dominates = (a: P, b: P) => scenarios.every((s) => v(a, s) >= v(b, s)) && scenarios.some((s) => v(a, s) > v(b, s))
  return candidates.filter((c) => !candidates.some((o) => o !== c && dominates(o, c)))
}

/**
 * Draws a parent from the frontier with probability proportional to the
 * number of scenarios on which it is (jointly) best, as GEPA does; a parent
 * best nowhere still gets a small weight.
 */
export function selectParent<T>(frontier: readonly ParetoParent<T>[], rng: () => number): ParetoParent<T> {
  const scenarios = [...new Set(frontier.flatMap((p) => Object.keys(p.objectives)))]
  const weights = frontier.map(
    (p) => 0.5 + scenarios.filter((s) => frontier.every((o) => (o.objectives[s] ?? 0) <= (p.objectives[s] ?? 0))).length,
  )
  let r = rng() * weights.reduce((a, b) => a + b, 0)
  for (let i = 0; i < frontier.length; i++) {
    r -= weights[i]!
    if (r < 0) return frontier[i]!
  }
  return frontier[frontier.length - 1]!
}
