/** Profiles: ready-made agent runs with their output adapters and validators (coder, researcher, coder fan-out). */
export {
  type CoderTask,
  type CoderCheckResult,
  type CoderOutput,
  type CoderProfile,
  type CoderProfileOptions,
  type HarnessRef,
  coderProfile,
  coderPrompt,
  parseHarness,
} from './coder.js'
export {
  type CoderOutputAdapterOptions,
  type ReportedCoderOutput,
  CODER_RESULT_EVENT_TYPES,
  NOT_CONFIGURED_OUTPUT,
  createCoderOutputAdapter,
  readReportedCoderOutput,
} from './coder-output.js'
export {
  type CoderCheckName,
  type CoderVerdict,
  type CoderValidatorOptions,
  CODER_CHECKS,
  DEFAULT_MAX_DIFF_LINES,
  createCoderValidator,
} from './coder-validator.js'
export { type DiffFile, type DiffFileStatus, type ParsedDiff, parseUnifiedDiff } from './diff.js'
export { SECRET_FILE_EXTENSIONS, SECRET_FILE_NAMES, isForbiddenPath, isSecretPath } from './secret-paths.js'
export {
  type MultiHarnessCoderFanout,
  type MultiHarnessCoderFanoutOptions,
  DEFAULT_CODER_FANOUT_HARNESSES,
  multiHarnessCoderFanout,
} from './multi-harness.js'
export {
  type ResearchTask,
  type ResearchFinding,
  type ResearchOutput,
  type ResearchVerdict,
  type ResearchValidatorOptions,
  type ResearcherProfile,
  type ResearcherProfileOptions,
  RESEARCH_RESULT_EVENT_TYPES,
  createResearchOutputAdapter,
  createResearchValidator,
  researcherPrompt,
  researcherProfile,
} from './researcher.js'
