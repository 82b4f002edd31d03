export * from './iterable.js'
