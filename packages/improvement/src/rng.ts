import { fnv1a32 } from '@tangle-network/agent-runtime-core'

/** A seeded source of uniform numbers in [0, 1). @experimental */
export type Rng = () => number

/**
 * mulberry32: a small, fast, seeded PRNG. The same seed always gives the same
 * sequence on every runtime, which is what makes campaigns replayable.
 * @experimental
 * @example
 * const rng = seededRng(42); const u = rng() // 0 <= u < 1
 */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Derives a 32-bit seed from a base seed and labels (scenario id, rep, generation…),
 * so every cell and generation has its own stable stream.
 * @experimental
 * @example
 * deriveSeed(42, 'scenario-a', 0) // the same number on every run
 */
export function deriveSeed(seed: number, ...labels: ReadonlyArray<string | number>): number {
  return Number.parseInt(fnv1a32(`${seed}|${labels.join('|')}`), 16) >>> 0
}

/** A standard normal draw (Box–Muller) from `rng`. */
export function normalDraw(rng: Rng): number {
  let u = rng()
  while (u <= Number.EPSILON) u = rng()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}
