import { ValidationError } from '../errors.js'
import { describeValue } from '../util/describe-value.js'

/** USD price of one model per million tokens. @stable */
export interface ChatModelPricing {
  inputPerMTok: number
  outputPerMTok: number
}

/** Either one price (applies to whatever model answered) or a table keyed by model id. @stable */
export type ChatPricing = ChatModelPricing | Record<string, ChatModelPricing>

function isModelPricing(v: unknown): v is ChatModelPricing {
  return typeof v === 'object' && v !== null && 'inputPerMTok' in v && 'outputPerMTok' in v
}

function checkEntry(where: string, p: unknown): void {
  if (!isModelPricing(p)) {
    throw new ValidationError(`pricing${where} must be {inputPerMTok, outputPerMTok} in USD per million tokens; got ${JSON.stringify(p)}`)
  }
  for (const key of ['inputPerMTok', 'outputPerMTok'] as const) {
    const v = p[key]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ValidationError(`pricing${where}.${key} must be a finite number ≥ 0 (USD per million tokens); got ${describeValue(v)}`)
    }
  }
}

/**
 * Checks a pricing option, throwing {@link ValidationError} that names the bad
 * entry. Returns the same value.
 * @stable
 * @example
 * validateChatPricing({ 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } })
 */
export function validateChatPricing(pricing: ChatPricing): ChatPricing {
  if (typeof pricing !== 'object' || pricing === null) {
    throw new ValidationError(`pricing must be an object ({inputPerMTok, outputPerMTok} or a table keyed by model); got ${String(pricing)}`)
  }
  if (isModelPricing(pricing)) checkEntry('', pricing)
  else for (const [model, entry] of Object.entries(pricing)) checkEntry(`[${JSON.stringify(model)}]`, entry)
  return pricing
}

/**
 * USD cost of one call: `tokensIn·inputPerMTok/1e6 + tokensOut·outputPerMTok/1e6`.
 * With a table, the first of `models` found in it prices the call; undefined
 * when none is (an unknown model is not free).
 * @stable
 * @example
 * computeChatCostUsd({ inputPerMTok: 1, outputPerMTok: 2 }, ['m'], 1_000_000, 500_000) // → 2
 */
export function computeChatCostUsd(
  pricing: ChatPricing | undefined,
  models: readonly (string | undefined)[],
  tokensIn: number | undefined,
  tokensOut: number | undefined,
): number | undefined {
  if (!pricing || (tokensIn === undefined && tokensOut === undefined)) return undefined
  let entry: ChatModelPricing | undefined
  if (isModelPricing(pricing)) entry = pricing
  else {
    for (const m of models) {
      if (m !== undefined && Object.hasOwn(pricing, m)) {
        entry = pricing[m]
        break
      }
    }
  }
  if (!entry) return undefined
  return ((tokensIn ?? 0) * entry.inputPerMTok + (tokensOut ?? 0) * entry.outputPerMTok) / 1_000_000
}
