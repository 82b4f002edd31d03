export * from './reduce.js'
