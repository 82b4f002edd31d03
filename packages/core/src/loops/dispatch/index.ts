export * from './campaign-contract.js'
export * from './loop-dispatch.js'
