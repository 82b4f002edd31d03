/** Knowledge: the KB gate that lets only grounded facts into a knowledge base. */
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
} from './kb-gate.js'
