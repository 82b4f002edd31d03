/**
 * @tangle-network/agent-runtime-improvement: identity-gated prompt
 * optimisation. Campaign runner, GEPA proposer, held-out gate, improvement
 * loop and `optimizePrompt`, all I/O-free; file storage, git promotion and the
 * code-patch driver are in `./node`.
 */
export * from './types.js'
export { type CampaignOptions, type UsageLedger, createUsageLedger, hashSurface, runCampaign } from './campaign.js'
export { cellRecordSchema, createMemoryCampaignStorage, createSqlCampaignStorage, type SqlCampaignStorageOptions } from './storage.js'
export { type Rng, deriveSeed, seededRng } from './rng.js'
export {
  binomialUpperTail,
  type CellsNeededOptions,
  cellsNeeded,
  comparePaired,
  type HolmStep,
  holmStepDown,
  normalQuantile,
  type PairedComparison,
  type PairedComparisonOptions,
  signTestPValue,
  wilsonInterval,
} from './stats.js'
export { lineDiff, promptSections, sentenceEdits } from './text-edits.js'
export { paretoFrontier } from './pareto.js'
export { DEFAULT_MUTATION_PRIMITIVES, type GepaDriverOptions, gepaDriver } from './gepa.js'
export { defaultProductionGate, type HeldOutGateOptions, heldOutGate, type ProductionGateOptions } from './gate.js'
export { type GenerationCandidate, type GenerationRecord, type ImprovementLoopOptions, type ImprovementLoopResult, runImprovementLoop } from './loop.js'
export { type OptimizePromptOptions, type OptimizePromptResult, optimizePrompt, type PromotionRecord, type PromptPromoter } from './optimize-prompt.js'
export { selfImproveLoopRunner } from './self-improve.js'
export { type GateCalibrationOptions, type GateCalibrationReport, type MeasuredRate, simulateGateCalibration } from './calibration.js'
