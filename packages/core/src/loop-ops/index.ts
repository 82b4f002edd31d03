/** Loop operations engine: hard budgets, the budget breaker and ledgers, human gates, autonomy levels, the tick and the state spine text. */
export * from './budget.js'
export * from './ledger.js'
export * from './breaker.js'
export * from './glob.js'
export * from './gates.js'
export * from './autonomy.js'
export * from './tick.js'
export * from './spine.js'
