// Coder delegate, KB gate and executors (issue 11, delegates half).
export * from './coder-delegate/index.js'
export * from './executors.js'
export {
  type FactCandidate,
  type FactJudge,
  type FactJudgement,
  type KbGate,
  type KbGateOptions,
  type KbGateVerdict,
  DEFAULT_MIN_PASSAGE_CHARS,
  KB_GATE_FLOOR_CHECKS,
  KB_GATE_SHAPE_CHECK,
  createKbGate,
  isKbGate,
  normalizeKbText,
} from '@tangle-network/agent-runtime-core'
