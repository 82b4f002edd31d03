export * from './cli.js'
export * from './research-runner.js'
export * from './run-delegated-loop.js'
