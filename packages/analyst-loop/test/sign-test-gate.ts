/**
 * Test helper: a held-out statistical promotion gate, standing in for the
 * `/improvement` gate (issue 13) until it lands. Same rule as agent-eval's
 * `decidePairedPromotion` for fewer than 20 non-binary pairs: score baseline
 * and candidate on the same held-out scenarios, pair them, and ship only when
 * an exact one-sided sign test on the paired differences gives
 * p <= (1 - confidence) / 2 and the mean difference is above the threshold.
 * Fewer than `minPairs` pairs, or no difference at all, holds.
 */
import type { PromotionDecision } from '@tangle-network/agent-runtime/analyst-loop'

export interface SignTestGateOptions {
  confidence?: number
  threshold?: number
  minPairs?: number
}

function binomialTail(n: number, k: number): number {
  // P(X >= k) for X ~ Binomial(n, 1/2).
  let sum = 0
  let c = 1
  for (let i = 0; i <= n; i++) {
    if (i >= k) sum += c
    c = (c * (n - i)) / (i + 1)
  }
  return sum / 2 ** n
}

/** Decides ship/hold from paired held-out scores (same scenario order in both arms). */
export function decidePaired(baseline: readonly number[], candidate: readonly number[], options: SignTestGateOptions = {}): PromotionDecision {
  const confidence = options.confidence ?? 0.95
  const threshold = options.threshold ?? 0
  const minPairs = Math.max(options.minPairs ?? 3, Math.ceil(Math.log2(2 / (1 - confidence))))
  if (baseline.length !== candidate.length) throw new Error('decidePaired: arms cover different scenarios')
  const n = baseline.length
  if (n < minPairs) return { decision: 'hold', reasons: [`only ${n} held-out pairs; need at least ${minPairs}`] }
  const d = candidate.map((c, i) => c - baseline[i]! - threshold)
  const mean = candidate.reduce((s, c, i) => s + c - baseline[i]!, 0) / n
  const nonZero = d.filter((x) => x !== 0)
  if (nonZero.length === 0) return { decision: 'hold', reasons: [`no paired difference on ${n} held-out scenarios (delta 0)`], delta: 0 }
  const wins = nonZero.filter((x) => x > 0).length
  const p = binomialTail(nonZero.length, wins)
  const alpha = (1 - confidence) / 2
  const reason = `sign test on ${n} held-out pairs: ${wins}/${nonZero.length} improved, p=${p.toFixed(4)} (need <= ${Number(alpha.toFixed(6))}), mean delta ${mean.toFixed(3)}`
  return p <= alpha && mean > threshold ? { decision: 'ship', reasons: [reason], delta: mean } : { decision: 'hold', reasons: [reason], delta: mean }
}
