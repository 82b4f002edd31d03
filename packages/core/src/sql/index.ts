export * from './adapters.js'
