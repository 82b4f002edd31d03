export * from './adapters.js'
export * from './dialect.js'
export * from './column-types.js'
