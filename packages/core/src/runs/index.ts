export * from './runtime-run.js'
export * from './sql-adapter.js'
