export * from './adapters.js'
export * from './dialect.js'
