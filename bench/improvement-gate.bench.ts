// The held-out gate, measured rather than assumed: false-ship rate over
// simulated null campaigns (no candidate better in truth, noisy judges,
// best-of-N selection) and power with a true lift, each with a 95 % Wilson
// interval, next to the naive rules measured on the same simulated campaigns
// (the baseline): "held-out mean went up" and GEPA's "best of N beat the
// baseline on its selection items". Then the held-out cells needed per lift.
// Usage: node --conditions=source --import tsx improvement-gate.bench.ts [campaigns]
import { type MeasuredRate, cellsNeeded, simulateGateCalibration } from '@tangle-network/agent-runtime/improvement'

const campaigns = Number(process.argv[2] ?? 400)
const pct = (r: MeasuredRate) => `${(100 * r.rate).toFixed(1).padStart(5)} % [${(100 * r.low).toFixed(1)}, ${(100 * r.high).toFixed(1)}]`
const ratio = (naive: MeasuredRate, gate: MeasuredRate) => (gate.ships === 0 ? `> ${naive.ships}×` : `${(naive.rate / gate.rate).toFixed(0)}×`)

console.log(`false-ship rate, ${campaigns} null campaigns each, 30 held-out cells, alpha 0.025, best of 10 candidates`)
console.log('judges      | gate (best of 10)     | gate + Holm (all 10)  | naive: held-out mean up | naive: best-of-10 on selection items | naive / gate')
for (const judge of ['continuous', 'binary'] as const) {
  const t = performance.now()
  const r = simulateGateCalibration({ campaigns, judge, lift: 0, candidates: 10, seed: 101 })
  console.log(
    `${judge.padEnd(11)} | ${pct(r.gate)}     | ${pct(r.gateHolm)}     | ${pct(r.naiveHeldOut)}      | ${pct(r.naiveSelection)}                   | ${ratio(r.naiveHeldOut, r.gate)} (${((performance.now() - t) / 1000).toFixed(1)} s)`,
  )
}

console.log(`\npower (ship rate with a true lift), ${campaigns} campaigns each, one candidate`)
const power = [
  { label: 'continuous, lift +0.1, paired noise sd 0.1, 30 cells', opts: { judge: 'continuous' as const, lift: 0.1, noiseSd: 0.1, cells: 30 } },
  { label: 'continuous, lift +0.05, paired noise sd 0.1, 30 cells', opts: { judge: 'continuous' as const, lift: 0.05, noiseSd: 0.1, cells: 30 } },
  { label: 'binary, lift +0.1, 15 % of cells change, 30 cells', opts: { judge: 'binary' as const, lift: 0.1, cells: 30 } },
  { label: `binary, lift +0.1, 15 % of cells change, ${cellsNeeded({ lift: 0.1, judge: 'binary' })} cells`, opts: { judge: 'binary' as const, lift: 0.1, cells: cellsNeeded({ lift: 0.1, judge: 'binary' }) } },
]
for (const p of power) {
  const r = simulateGateCalibration({ campaigns, candidates: 1, seed: 202, ...p.opts })
  console.log(`${p.label.padEnd(56)} gate ${pct(r.gate)}   naive ${pct(r.naiveHeldOut)}`)
}

console.log('\nheld-out cells needed for 80 % power at alpha 0.025 (binary: exact McNemar; continuous with Gaussian noise: exact sign test and bootstrap, both required)')
console.log('lift  | binary, 15 % change | binary, 30 % change | binary, 50 % change | continuous sd 0.1 | continuous sd 0.2')
for (const lift of [0.05, 0.1, 0.15]) {
  const b = (d: number) => String(cellsNeeded({ lift, judge: 'binary', discordance: d })).padStart(19)
  const c = (sd: number) => String(cellsNeeded({ lift, judge: 'continuous', sd })).padStart(17)
  console.log(`+${lift.toFixed(2)} | ${b(0.15)} | ${b(0.3)} | ${b(0.5)} | ${c(0.1)} | ${c(0.2)}`)
}
